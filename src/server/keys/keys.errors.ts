/** Typed failures of the key directory (GraphQL types in keys.graphql.ts). */
import { DomainError } from '../kernel/errors.js';

/** An XEdDSA signature does not verify against the device's identity key; `field` names it. */
export class InvalidSignatureError extends DomainError {
  constructor(
    readonly field: string,
    readonly keyId: number,
    message = 'signature does not verify against the identity key',
  ) {
    super('INVALID_SIGNATURE', `${field}: ${message}`);
  }
}

/** A key id is used twice in one upload, or is already stored for this device and kind. */
export class DuplicateKeyIdError extends DomainError {
  constructor(
    readonly field: string,
    readonly keyId: number,
    where: 'upload' | 'stored',
  ) {
    super('DUPLICATE_KEY_ID', `${field}: key id ${keyId} is ${where === 'upload' ? 'used twice in this upload' : 'already stored for this device'}`);
  }
}
