/**
 * Errors the SDK surfaces to the app. Every one extends ClientError and carries a stable `code`;
 * `isClientError(e, code?)` narrows. Protocol failures are translated here so apps never need to know
 * the protocol library's error type.
 */
import { isProtocolError } from '../protocol/index.js';

export type ClientErrorCode =
  | 'UntrustedIdentity'
  | 'DecryptionFailed'
  | 'RateLimited'
  | 'Server'
  | 'Network'
  | 'Unauthenticated'
  | 'NotRegistered'
  | 'MismatchedDevices'
  | 'StaleDevices'
  | 'InvalidContent'
  | 'StoreLocked'
  | 'StoreUnavailable'
  | 'VerificationRequired'
  | 'SafetyNumberChanged'
  | 'Blocked';

/** Someone's Signal address: a user and one of their devices. */
export interface PeerAddress {
  userId: string;
  deviceId: number;
}

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `${code}Error`;
  }
}

/**
 * A peer's identity key differs from the one recorded earlier (reinstalled app, or an attack). Nothing
 * is sent to or accepted from that device until the app calls `client.trustIdentity(address)`.
 */
export class UntrustedIdentityError extends ClientError {
  constructor(
    readonly address: PeerAddress,
    readonly direction: 'sending' | 'receiving',
    options?: { cause?: unknown },
  ) {
    super('UntrustedIdentity', `identity key of ${address.userId}.${address.deviceId} changed; not trusted until confirmed`, options);
  }
}

/** An envelope could not be decrypted (tampered, from an unknown session, or a protocol error). */
export class DecryptionError extends ClientError {
  constructor(
    readonly sender: PeerAddress,
    readonly envelopeId: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('DecryptionFailed', `could not decrypt envelope ${envelopeId} from ${sender.userId}.${sender.deviceId}: ${reason}`, options);
  }
}

/** The server refused because of a rate limit; try again after `retryAfterSeconds`. */
export class RateLimitError extends ClientError {
  constructor(
    readonly retryAfterSeconds: number,
    message = `rate limited; retry after ${retryAfterSeconds}s`,
  ) {
    super('RateLimited', message);
  }
  /** When to retry, in ms since epoch, measured from `now`. */
  retryAt(now = Date.now()): number {
    return now + this.retryAfterSeconds * 1000;
  }
}

/** The server answered with an error: a typed domain error (`serverCode` from the schema) or a GraphQL error. */
export class ServerError extends ClientError {
  constructor(
    readonly serverCode: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super('Server', `${serverCode}: ${message}`);
  }
}

export class NetworkError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Network', message, options);
  }
}

export class UnauthenticatedError extends ClientError {
  constructor(message: string) {
    super('Unauthenticated', message);
  }
}

export function isClientError<C extends ClientErrorCode>(e: unknown, code?: C): e is ClientError & { code: C } {
  return e instanceof ClientError && (code === undefined || e.code === code);
}

/** Maps a protocol error met while decrypting into the app-facing error. */
export function decryptionErrorFrom(err: unknown, sender: PeerAddress, envelopeId: string): ClientError {
  if (isProtocolError(err, 'UntrustedIdentity')) return new UntrustedIdentityError(sender, 'receiving', { cause: err });
  const reason = isProtocolError(err) ? err.code : err instanceof Error ? err.message : String(err);
  return new DecryptionError(sender, envelopeId, reason, { cause: err });
}
