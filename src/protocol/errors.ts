// One error type for the whole protocol library, with codes in the spirit of libsignal's
// SignalProtocolError. MAC failures and malformed messages share 'InvalidMessage' on purpose.

export type ProtocolErrorCode =
  | 'InvalidArgument'
  | 'InvalidKey'
  | 'InvalidSignature'
  | 'InvalidMessage'
  | 'DuplicatedMessage'
  | 'UntrustedIdentity'
  | 'NoSession'
  | 'InvalidPreKeyId'
  | 'InvalidSignedPreKeyId'
  | 'InvalidKyberPreKeyId'
  | 'UnsupportedVersion'
  | 'NoSenderKeyState'
  | 'FingerprintVersionMismatch'
  | 'FingerprintParsingError';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}
