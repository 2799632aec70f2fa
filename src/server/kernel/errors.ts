/**
 * Expected failures, as typed errors with a stable code. Services throw these; the GraphQL layer returns
 * them as members of a result union (Pothos errors plugin) or, anywhere else, as a GraphQL error whose
 * `extensions` carry the code and the error's own fields (`retryAfterSeconds`, `missing`, ...). The HTTP
 * routes send the same shape as JSON. Anything that is not a DomainError is unexpected and is masked.
 *
 * This file, like the rest of `kernel/`, imports nothing of GraphQL or of any domain.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    // an expected refusal needs no stack trace, and capturing one is most of its cost (a flood creates many)
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = new.target.name;
  }

  /** The error's own public fields (everything but code, message, name and stack), for `extensions` and JSON bodies. */
  fields(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'code' && k !== 'message' && k !== 'name' && k !== 'stack') out[k] = v;
    return out;
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

export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    what: string,
  ) {
    super('RATE_LIMITED', `${what}: rate limit exceeded, retry after ${retryAfterSeconds} s`);
  }
}

/** A size or count limit; `field` names the argument, `max` the limit and `actual` what was sent. */
export class LimitExceededError extends DomainError {
  constructor(
    readonly field: string,
    readonly max: number,
    readonly actual: number,
  ) {
    super('LIMIT_EXCEEDED', `${field}: ${actual} is over the limit of ${max}`);
  }
}
