/** Typed failures of accounts and devices (GraphQL types in accounts.graphql.ts). */
import { DomainError } from '../kernel/errors.js';

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
