/** The per-operation context shared by every resolver. */
import type { Services } from '../services.js';
import { unauthenticated } from './errors.js';

/** The authenticated device behind a request or socket. */
export interface AuthDevice {
  userId: string;
  /** devices.id (uuid) */
  deviceUuid: string;
  /** the Signal device id (1..127) */
  deviceId: number;
  /** token expiry, seconds since epoch */
  exp: number;
}

export interface Context {
  requestId: string;
  auth: AuthDevice | null;
  /** Subject of a verified external identity-provider token, when one was presented. */
  externalSubject: string | null;
  services: Services;
  transport: 'http' | 'ws';
}

export function requireAuth(ctx: Context): AuthDevice {
  if (!ctx.auth) throw unauthenticated();
  if (ctx.auth.exp * 1000 <= Date.now()) throw unauthenticated('access token expired');
  return ctx.auth;
}
