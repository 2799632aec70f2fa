/** Starts the real server on a random port against the per-run database, and talks to it. */
import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { type App, buildApp } from '../../src/server/app.js';
import { type Config, loadConfig } from '../../src/server/config.js';
import { testDatabaseUrl } from '../database-url.js';
import { UNLIMITED_AUTH_ENV } from './limits.js';

export interface TestServer {
  app: App;
  config: Config;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export const databaseKind = () => inject('databaseKind');
export const onRealPostgres = () => inject('databaseKind') === 'postgresql';

/** The test servers' METRICS_TOKEN: `GET /metrics` with `Authorization: Bearer METRICS_TOKEN`. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

export { UNLIMITED_AUTH_ENV } from './limits.js';

export async function startServer(overrides: Partial<Config> = {}, databaseUrl = testDatabaseUrl()): Promise<TestServer> {
  const config: Config = {
    ...loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DB_POOL_SIZE: onRealPostgres() ? '4' : '1', METRICS_TOKEN, ...UNLIMITED_AUTH_ENV }),
    ...overrides,
  };
  const app = await buildApp({ config, databaseUrl, migrate: false });
  const port = await app.start(0, '127.0.0.1');
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    stop: () => app.stop(),
  };
}

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GqlResult['errors'] };
  return { status: res.status, ...body };
}

/** A syntactically valid identity key (0x05 || 32 random bytes). */
export function fakeIdentityKey(): string {
  return Buffer.concat([Buffer.from([5]), randomBytes(32)]).toString('base64');
}

export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      __typename
      ... on DeviceCredentials { deviceCredential accessToken accessTokenExpiresAt user { id username displayName } device { id deviceId registrationId identityKey } }
      ... on Error { code message }
      ... on InvalidKeyError { field }
      ... on InvalidInputError { field }
    }
  }
`;

export interface Registered {
  userId: string;
  username: string;
  deviceUuid: string;
  deviceId: number;
  deviceCredential: string;
  token: string;
}

export async function register(url: string, opts: { username?: string; identityKey?: string; registrationId?: number; token?: string } = {}): Promise<Registered> {
  const username = opts.username ?? uniqueName();
  const r = await gql(
    url,
    REGISTER,
    {
      input: {
        username,
        displayName: username.toUpperCase(),
        device: { name: 'phone', registrationId: opts.registrationId ?? 1234, identityKey: opts.identityKey ?? fakeIdentityKey() },
      },
    },
    opts.token,
  );
  const p = r.data?.register;
  if (p?.__typename !== 'DeviceCredentials') throw new Error(`register failed: ${JSON.stringify(r)}`);
  return {
    userId: p.user.id,
    username,
    deviceUuid: p.device.id,
    deviceId: p.device.deviceId,
    deviceCredential: p.deviceCredential,
    token: p.accessToken,
  };
}

export function wsClient(wsUrl: string, token: string | undefined, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    ...extra,
  });
}

/** Runs one query/mutation over graphql-ws. */
export function wsQuery<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: readonly any[] }> {
  return new Promise((resolve, reject) => {
    let result: { data?: T; errors?: readonly any[] } = {};
    client.subscribe<T>(
      { query, variables },
      {
        next: (v) => {
          result = v as typeof result;
        },
        error: (e) => (Array.isArray(e) ? resolve({ errors: e }) : reject(e)),
        complete: () => resolve(result),
      },
    );
  });
}

/** Resolves with the close code of the next socket close. */
export function nextClose(client: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    client.on('closed', (e) => {
      const ev = e as { code: number; reason: string };
      resolve({ code: ev.code, reason: ev.reason });
    });
  });
}
