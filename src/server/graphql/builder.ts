/** The Pothos schema builder. Types live with their domain (`<domain>/<x>.graphql.ts`), not here. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import type { Base64 } from '../kernel/bytes.js';
import type { Context } from './context.js';

/**
 * Called for every typed error returned as a result-union member (an expected refusal: RateLimitedError,
 * NotFoundError, ...), so refusals are counted like GraphQL errors. The schema is one per process; each app
 * adds its metrics listener here.
 */
export const resolvedErrorListeners = new Set<(error: Error) => void>();

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    /** Output: bytes, or a `Base64` string sent as it is (kernel/bytes.ts). */
    Bytes: { Input: Uint8Array; Output: Uint8Array | Base64 };
  };
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: {
    directResult: true,
    onResolvedError: (error) => {
      for (const listener of resolvedErrorListeners) listener(error);
    },
  },
});
