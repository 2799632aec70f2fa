/** Typed failures of attachment uploads (HTTP bodies `{ "error": { code, message, ... } }`). */
import { DomainError } from '../kernel/errors.js';

/** The upload is over MAX_ATTACHMENT_BYTES (HTTP 413). Nothing was stored. */
export class AttachmentTooLargeError extends DomainError {
  constructor(
    readonly max: number,
    readonly actual: number,
  ) {
    super('ATTACHMENT_TOO_LARGE', `attachment of ${actual} bytes is over the limit of ${max} bytes`);
  }
}

/** The request body did not match its Content-Length (or the client went away mid-upload). Nothing was stored. */
export class IncompleteUploadError extends DomainError {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super('INCOMPLETE_UPLOAD', `expected ${expected} bytes, received ${received}`);
  }
}
