/** Structured JSON logs. Never log tokens, secrets, keys or ciphertext: only ids, codes and timings. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sealed-relay' },
    redact: {
      paths: ['req.headers.authorization', 'authorization', 'token', 'deviceCredential', 'credential', 'connectionParams', '*.ciphertext'],
      censor: '[redacted]',
    },
  });
}
