/** Typed failures of push target registration (field errors use InvalidInputError / InvalidKeyError). */
import { DomainError } from '../kernel/errors.js';
import type { PushKind } from './push-target.entity.js';

/** This server has no provider configured for the kind (e.g. FCM without a service account): nothing was stored. */
export class PushKindUnavailableError extends DomainError {
  constructor(
    readonly kind: PushKind,
    readonly available: readonly PushKind[],
  ) {
    super('PUSH_KIND_UNAVAILABLE', `${kind} push is not configured on this server (available: ${available.join(', ') || 'none'})`);
  }
}
