/**
 * Expected failures, as typed errors with a stable code. Services throw these; fields that declare them
 * (Pothos errors plugin) return them as members of a result union, and anywhere else they surface as a
 * GraphQL error carrying `extensions.code`. Anything else is an unexpected error and is masked.
 */
import { GraphQLError } from 'graphql';

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('INVALID_INPUT', `${field}: ${message}`);
  }
}

/** A public key with the wrong length or type byte. */
export class InvalidKeyError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('INVALID_KEY', `${field}: ${message}`);
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super('NOT_FOUND', `${resource} ${id} not found`);
  }
}

/** The caller is authenticated but may not touch this resource. */
export class ForbiddenError extends DomainError {
  constructor(message = 'not allowed') {
    super('FORBIDDEN', message);
  }
}

export class UsernameTakenError extends DomainError {
  constructor(readonly username: string) {
    super('USERNAME_TAKEN', `username "${username}" is taken`);
  }
}

export class DeviceLimitError extends DomainError {
  constructor(readonly max: number) {
    super('DEVICE_LIMIT_REACHED', `a user has at most ${max} devices`);
  }
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('INVALID_CREDENTIALS', 'unknown device or wrong secret');
  }
}

export class InvalidLinkCodeError extends DomainError {
  constructor() {
    super('INVALID_LINK_CODE', 'the link code is unknown, used or expired');
  }
}

export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    what: string,
  ) {
    super('RATE_LIMITED', `${what}: rate limit exceeded, retry after ${retryAfterSeconds} s`);
  }
}

/** Authentication failures are not domain results: HTTP 401, or graphql-ws close 4403 at connect. */
export function unauthenticated(message = 'authentication required'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}
