/** The per-operation context shared by every resolver. */
import type { AuthDevice } from '../kernel/auth.js';
import type { Services } from '../services.js';
import { unauthenticated } from './errors.js';
import type { Loaders } from './loaders.js';

export type { AuthDevice };

export interface Context {
  requestId: string;
  auth: AuthDevice | null;
  /** Subject of a verified external identity-provider token, when one was presented. */
  externalSubject: string | null;
  services: Services;
  /** The client's address (see http/client-address.ts), for per-address rate limits. */
  clientAddress: string;
  /** Per-operation batch loaders (one query for a list page, not one per row). */
  loaders: Loaders;
  transport: 'http' | 'ws';
}

export function requireAuth(ctx: Context): AuthDevice {
  if (!ctx.auth) throw unauthenticated();
  if (ctx.auth.exp * 1000 <= Date.now()) throw unauthenticated('access token expired');
  return ctx.auth;
}
