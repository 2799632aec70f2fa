import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeIdentityKey, gql, nextClose, register, REGISTER, startServer, type TestServer, uniqueName, wsClient, wsQuery, METRICS_TOKEN } from './harness.js';

const ME = '{ me { id username displayName devices { deviceId name lastSeenAt } } }';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.stop());

async function tokenWith(claims: { sub: string; uid: string; did: number }, exp: number, secret = s.config.jwtSecret) {
  return new SignJWT({ uid: claims.uid, did: claims.did })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer('sealed-relay')
    .setAudience('sealed-relay:device')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(secret);
}

describe('registration and tokens', () => {
  it('registers a user with its first device, and the token reads `me` over HTTP', async () => {
    const u = await register(s.url);
    expect(u.deviceId).toBe(1);
    const r = await gql(s.url, ME, {}, u.token);
    expect(r.status).toBe(200);
    expect(r.data.me).toMatchObject({ id: u.userId, username: u.username, devices: [{ deviceId: 1, name: 'phone' }] });
    expect(r.data.me.devices[0].lastSeenAt).toBeTruthy();
  });

  it('exchanges the device credential from registration for a new access token, and refuses a wrong, forged or malformed one', async () => {
    const u = await register(s.url);
    const q = `mutation($c: String!) { createAccessToken(credential: $c) {
      __typename ... on AccessToken { token expiresAt } ... on Error { code } } }`;
    expect(u.deviceCredential).toMatch(new RegExp(`^sr1\\.${u.deviceUuid}\\.`));
    const ok = await gql(s.url, q, { c: u.deviceCredential });
    expect(ok.data.createAccessToken.__typename).toBe('AccessToken');
    expect((await gql(s.url, ME, {}, ok.data.createAccessToken.token)).data.me.id).toBe(u.userId);
    const [, , secret] = u.deviceCredential.split('.');
    const wrongSecret = `sr1.${u.deviceUuid}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const otherDevice = `sr1.00000000-0000-4000-8000-000000000000.${secret}`;
    for (const c of [wrongSecret, otherDevice, `${u.deviceCredential}x`, u.deviceUuid, '', 'sr1..']) {
      const bad = await gql(s.url, q, { c });
      expect(bad.data.createAccessToken, c).toEqual({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS' });
    }
  });

  it('the same token works over graphql-ws', async () => {
    const u = await register(s.url);
    const client = wsClient(s.wsUrl, u.token);
    try {
      const r = await wsQuery(client, ME);
      expect(r.data.me.username).toBe(u.username);
    } finally {
      await client.dispose();
    }
  });

  it('refuses a username that is taken in any letter case', async () => {
    const name = uniqueName('Case');
    await register(s.url, { username: name });
    const r = await gql(s.url, REGISTER, {
      input: { username: name.toUpperCase(), displayName: 'x', device: { name: 'p', registrationId: 1, identityKey: fakeIdentityKey() } },
    });
    expect(r.data.register).toMatchObject({ __typename: 'UsernameTakenError', code: 'USERNAME_TAKEN' });
  });

  it.each([
    ['wrong length', Buffer.concat([Buffer.from([5]), Buffer.alloc(31, 1)]).toString('base64'), /33 bytes/],
    ['wrong type byte', Buffer.concat([Buffer.from([8]), Buffer.alloc(32, 1)]).toString('base64'), /type byte 0x05/],
    ['raw 32-byte key', Buffer.alloc(32, 1).toString('base64'), /33 bytes/],
  ])('refuses a malformed identity key (%s) with InvalidKeyError naming the field', async (_n, key, msg) => {
    const username = uniqueName();
    const r = await gql(s.url, REGISTER, {
      input: { username, displayName: 'x', device: { name: 'p', registrationId: 1, identityKey: key } },
    });
    expect(r.data.register).toMatchObject({ __typename: 'InvalidKeyError', code: 'INVALID_KEY', field: 'device.identityKey' });
    expect(r.data.register.message).toMatch(msg);
    // nothing was stored: the username is still free
    await register(s.url, { username });
  });

  it('refuses invalid usernames, registration ids and non-base64 bytes', async () => {
    const bad = await gql(s.url, REGISTER, {
      input: { username: 'a b', displayName: 'x', device: { name: 'p', registrationId: 1, identityKey: fakeIdentityKey() } },
    });
    expect(bad.data.register).toMatchObject({ __typename: 'InvalidInputError', field: 'username' });
    const reg = await gql(s.url, REGISTER, {
      input: { username: uniqueName(), displayName: 'x', device: { name: 'p', registrationId: 0, identityKey: fakeIdentityKey() } },
    });
    expect(reg.data.register).toMatchObject({ __typename: 'InvalidInputError', field: 'device.registrationId' });
    const b64 = await gql(s.url, REGISTER, {
      input: { username: uniqueName(), displayName: 'x', device: { name: 'p', registrationId: 1, identityKey: '***' } },
    });
    expect(b64.errors?.[0].message).toMatch(/base64/);
  });
});

describe('authentication is required everywhere', () => {
  it('refuses a missing, malformed, forged or expired token over HTTP with 401 UNAUTHENTICATED', async () => {
    const u = await register(s.url);
    const forged = await tokenWith({ sub: u.deviceUuid, uid: u.userId, did: 1 }, Math.floor(Date.now() / 1000) + 600, new Uint8Array(32).fill(7));
    const expired = await tokenWith({ sub: u.deviceUuid, uid: u.userId, did: 1 }, Math.floor(Date.now() / 1000) - 5);
    for (const token of [undefined, 'not-a-jwt', forged, expired]) {
      const r = await gql(s.url, ME, {}, token);
      expect(r.status, String(token)).toBe(401);
      expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(r.data?.me).toBeUndefined();
    }
    const raw = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic abc' }, body: '{"query":"{ me { id } }"}' });
    expect(raw.status).toBe(401);
  });

  it('refuses anonymous access to protected fields hidden behind fragments', async () => {
    const r = await gql(s.url, 'mutation { ... on Mutation { createDeviceLinkCode { code } } }');
    expect(r.status).toBe(401);
  });

  it('closes a graphql-ws connection with 4403 for a missing, forged or expired token', async () => {
    const u = await register(s.url);
    const forged = await tokenWith({ sub: u.deviceUuid, uid: u.userId, did: 1 }, Math.floor(Date.now() / 1000) + 600, new Uint8Array(32).fill(9));
    const expired = await tokenWith({ sub: u.deviceUuid, uid: u.userId, did: 1 }, Math.floor(Date.now() / 1000) - 5);
    for (const token of [undefined, 'garbage', forged, expired]) {
      const client = wsClient(s.wsUrl, token);
      const closed = await nextClose(client);
      expect(closed.code, String(token)).toBe(4403);
      await client.dispose();
    }
  });

  it('stops honouring a token that expires while its socket is open', async () => {
    const u = await register(s.url);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const shortLived = await tokenWith({ sub: u.deviceUuid, uid: u.userId, did: 1 }, exp);
    const client = wsClient(s.wsUrl, shortLived);
    try {
      expect((await wsQuery(client, ME)).data.me.id).toBe(u.userId);
      await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
      const after = await wsQuery(client, ME);
      expect(after.data?.me).toBeUndefined();
      expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await client.dispose();
    }
  });
});

const LINK_CODE = 'mutation { createDeviceLinkCode { code expiresAt } }';
const LINK = `mutation($code: String!, $d: NewDeviceInput!) { linkDevice(code: $code, device: $d) {
  __typename ... on DeviceCredentials { accessToken deviceCredential device { id deviceId } } ... on Error { code message } } }`;
const REMOVE = `mutation($id: ID!) { removeDevice(id: $id) { __typename ... on Device { id } ... on Error { code } } }`;

async function linkCode(token: string): Promise<string> {
  const r = await gql(s.url, LINK_CODE, {}, token);
  return r.data.createDeviceLinkCode.code;
}

function linkDevice(code: string, name = 'laptop') {
  return gql(s.url, LINK, { code, d: { name, registrationId: 77, identityKey: fakeIdentityKey() } });
}

describe('devices', () => {
  it('links a second device with a one-time code, which cannot be used twice', async () => {
    const u = await register(s.url);
    const code = await linkCode(u.token);
    const linked = await linkDevice(code);
    expect(linked.data.linkDevice).toMatchObject({ __typename: 'DeviceCredentials', device: { deviceId: 2 } });
    const again = await linkDevice(code);
    expect(again.data.linkDevice).toMatchObject({ __typename: 'InvalidLinkCodeError', code: 'INVALID_LINK_CODE' });
    const me = await gql(s.url, ME, {}, linked.data.linkDevice.accessToken);
    expect(me.data.me.devices.map((d: { deviceId: number }) => d.deviceId)).toEqual([1, 2]);
  });

  it('refuses an expired link code', async () => {
    const short = await startServer({ linkCodeTtlSeconds: 1 });
    try {
      const u = await register(short.url);
      const code = (await gql(short.url, LINK_CODE, {}, u.token)).data.createDeviceLinkCode.code;
      // its lifetime runs out on the database clock
      await short.app.services.knex.raw(`update device_link_codes set expires_at = now() - interval '1 second' where user_id = ?`, [u.userId]);
      const r = await gql(short.url, LINK, { code, d: { name: 'x', registrationId: 5, identityKey: fakeIdentityKey() } });
      expect(r.data.linkDevice.code).toBe('INVALID_LINK_CODE');
    } finally {
      await short.stop();
    }
  });

  it('holds the device limit under concurrent link attempts', async () => {
    const u = await register(s.url);
    const codes = await Promise.all(Array.from({ length: 12 }, () => linkCode(u.token)));
    const results = await Promise.all(codes.map((c, i) => linkDevice(c, `d${i}`)));
    const ok = results.filter((r) => r.data.linkDevice.__typename === 'DeviceCredentials');
    const refused = results.filter((r) => r.data.linkDevice.__typename === 'DeviceLimitError');
    expect(ok).toHaveLength(s.config.maxDevices - 1);
    expect(refused).toHaveLength(12 - (s.config.maxDevices - 1));
    const ids = ok.map((r) => r.data.linkDevice.device.deviceId).sort((a, b) => a - b);
    expect(ids).toEqual([2, 3, 4, 5, 6]);
    const me = await gql(s.url, ME, {}, u.token);
    expect(me.data.me.devices).toHaveLength(s.config.maxDevices);
  });

  it("a removed device's tokens stop working at once, on HTTP and on its open socket", async () => {
    const u = await register(s.url);
    const linked = (await linkDevice(await linkCode(u.token))).data.linkDevice;
    const client = wsClient(s.wsUrl, linked.accessToken);
    expect((await wsQuery(client, ME)).data.me.id).toBe(u.userId);
    const closed = nextClose(client);
    const removed = await gql(s.url, REMOVE, { id: linked.device.id }, u.token);
    expect(removed.data.removeDevice).toEqual({ __typename: 'Device', id: linked.device.id });
    expect((await closed).code).toBe(4403);
    const r = await gql(s.url, ME, {}, linked.accessToken);
    expect(r.status).toBe(401);
    await client.dispose();
    const reconnect = wsClient(s.wsUrl, linked.accessToken);
    expect((await nextClose(reconnect)).code).toBe(4403);
    await reconnect.dispose();
  });

  it("cannot remove another user's device, or a user's last device", async () => {
    const a = await register(s.url);
    const b = await register(s.url);
    const r = await gql(s.url, REMOVE, { id: b.deviceUuid }, a.token);
    expect(r.data.removeDevice).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect((await gql(s.url, ME, {}, b.token)).status).toBe(200);
    const last = await gql(s.url, REMOVE, { id: a.deviceUuid }, a.token);
    expect(last.data.removeDevice).toEqual({ __typename: 'InvalidInputError', code: 'INVALID_INPUT' });
  });
});

describe('directory', () => {
  it("finds the caller's contacts by username prefix or display name, paginated with a cursor", async () => {
    const tag = uniqueName('dir');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await register(s.url, { username: `${tag}_${i}` }));
    // substring search runs over contacts only (docs/trust.md): made[0]'s group makes the others its contacts
    const g = await gql(s.url, 'mutation($i: CreateGroupInput!) { createGroup(input: $i) { __typename } }', { i: { name: 'dir', memberIds: made.slice(1).map((m) => m.userId) } }, made[0].token);
    expect(g.data.createGroup.__typename).toBe('Conversation');
    const q = `query($s: String!, $after: String) { users(search: $s, first: 2, after: $after) {
      __typename ... on UserPage { items { username } pageInfo { endCursor hasNextPage } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await gql(s.url, q, { s: tag.toUpperCase(), after }, made[0].token);
      seen.push(...r.data.users.items.map((u: { username: string }) => u.username));
      if (!r.data.users.pageInfo.hasNextPage) break;
      after = r.data.users.pageInfo.endCursor;
    }
    expect(seen).toEqual(made.slice(1).map((m) => m.username));
    const byUser = await gql(s.url, `query($id: ID!) { user(id: $id) { username devices { deviceId lastSeenAt } } }`, { id: made[1].userId }, made[0].token);
    expect(byUser.data.user.username).toBe(made[1].username);
    expect(byUser.data.user.devices[0].lastSeenAt).toBeNull(); // another user's activity is private
    const none = await gql(s.url, `query($id: ID!) { user(id: $id) { id } }`, { id: 'nope' }, made[0].token);
    expect(none.data.user).toBeNull();
  });
});

describe('limits and operations', () => {
  it('applies armor limits (aliases, tokens) over HTTP and over graphql-ws alike, and the socket survives', async () => {
    const u = await register(s.url);
    const tooManyAliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const tooManyTokens = `{ me { ${'id '.repeat(2500)} } }`;
    const http = await gql(s.url, tooManyAliases, {}, u.token);
    expect(http.errors?.[0].message).toMatch(/aliases/i);
    expect((await gql(s.url, tooManyTokens, {}, u.token)).errors?.[0].message).toMatch(/token/i);
    const client = wsClient(s.wsUrl, u.token);
    try {
      expect((await wsQuery(client, tooManyAliases)).errors?.[0].message).toMatch(/aliases/i);
      expect((await wsQuery(client, tooManyTokens)).errors?.[0].message).toMatch(/token/i);
      expect((await wsQuery(client, ME)).data.me.id).toBe(u.userId);
    } finally {
      await client.dispose();
    }
  });

  it('refuses an oversized request body with 413', async () => {
    const small = await startServer({ maxBodyBytes: 2048 });
    try {
      const res = await fetch(small.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(4096)}` }) });
      expect(res.status).toBe(413);
    } finally {
      await small.stop();
    }
  });

  it('serves a health check, metrics (behind METRICS_TOKEN, or on METRICS_PORT) and the GraphiQL explorer', async () => {
    const base = s.url.replace('/graphql', '');
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    // a refusal is counted by its code
    await gql(s.url, `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/graphql_operations_total/);
    expect(metrics).toMatch(/ws_open_sockets/);
    expect(metrics).toMatch(/code="ALIASES_LIMIT_EXCEEDED"/);
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const separate = await startServer({ metricsToken: undefined, metricsPort: port, metricsHost: '127.0.0.1' });
    try {
      expect((await fetch(separate.url.replace('/graphql', '/metrics'))).status).toBe(404);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/graphql_operations_total/);
    } finally {
      await separate.stop();
    }
    const page = await fetch(s.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
  });
});

describe('anonymous credential operations are rate limited, per client address and per device', () => {
  let limited: TestServer;
  beforeAll(async () => {
    // behind one trusted proxy, so each test can be a client address of its own (its own buckets)
    limited = await startServer({
      trustProxyHops: 1,
      authRateBurst: 20,
      authRatePerMinute: 10,
      registerRateBurst: 5,
      registerRatePerHour: 10,
      tokenRateBurst: 3,
      tokenRatePerMinute: 6,
      anonConcurrencyPerAddress: 4,
    });
  });
  afterAll(async () => {
    await limited?.stop();
  });
  const address = () => `10.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 255)}.${1 + Math.floor(Math.random() * 250)}`;
  const post = async (query: string, from: string, variables?: Record<string, unknown>) => {
    const res = await fetch(limited.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: any[] }) };
  };
  const registration = (i: number) =>
    `r${i}: register(input: { username: "${uniqueName()}", displayName: "x", device: { name: "p", registrationId: 1, identityKey: "${fakeIdentityKey()}" } }) {
      __typename ... on Error { code } ... on RateLimitedError { retryAfterSeconds } }`;

  it('one request with 15 aliased registrations creates REGISTER_RATE_BURST accounts; the rest are RateLimitedError with retryAfterSeconds', async () => {
    const r = await post(`mutation { ${Array.from({ length: 15 }, (_, i) => registration(i)).join(' ')} }`, address());
    const results = Object.values(r.data) as any[];
    expect(results.filter((x) => x.__typename === 'DeviceCredentials')).toHaveLength(5);
    const refused = results.filter((x) => x.__typename === 'RateLimitedError');
    expect(refused).toHaveLength(10);
    for (const x of refused) expect(x).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    // another address is not affected
    expect((await post(`mutation { ${registration(0)} }`, address())).data.r0.__typename).toBe('DeviceCredentials');
  });

  it('a flood of aliased token exchanges from one address is refused with rate-limit errors once the address budget is spent', async () => {
    const from = address();
    const guess = (i: number) => `t${i}: createAccessToken(credential: "sr1.${randomUUID()}.${'A'.repeat(43)}") { __typename ... on Error { code } }`;
    const codes: string[] = [];
    for (let round = 0; round < 2; round++) {
      const r = await post(`mutation { ${Array.from({ length: 15 }, (_, i) => guess(i)).join(' ')} }`, from);
      for (const v of Object.values(r.data) as any[]) codes.push(v.code);
    }
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(20); // AUTH_RATE_BURST guesses, each hashed
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(10);
    // once the address's budget is spent, its requests without a token are refused before they are even parsed
    const next = await post(`mutation { ${guess(0)} }`, from);
    expect(next.status).toBe(429);
    expect(next.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    // a request with a token from the same address is not held back
    const u = await register(limited.url);
    const me = await fetch(limited.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from, authorization: `Bearer ${u.token}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(((await me.json()) as any).data.me.id).toBe(u.userId);
  });

  it("a device's token exchanges are limited whatever the address (TOKEN_RATE_BURST)", async () => {
    const u = await register(limited.url);
    const q = `mutation($c: String!) { createAccessToken(credential: $c) { __typename ... on Error { code } } }`;
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push((await post(q, address(), { c: u.deviceCredential })).data.createAccessToken.__typename);
    expect(results).toEqual(['AccessToken', 'AccessToken', 'AccessToken', 'RateLimitedError', 'RateLimitedError']);
  });

  it('more requests without a token in progress at once from one address than ANON_CONCURRENCY_PER_ADDRESS get 429 RATE_LIMITED', async () => {
    const from = address();
    const slow = `mutation { ${Array.from({ length: 3 }, (_, i) => `t${i}: createAccessToken(credential: "sr1.${randomUUID()}.${'B'.repeat(43)}") { __typename }`).join(' ')} }`;
    const all = await Promise.all(Array.from({ length: 12 }, () => post(slow, from)));
    const tooMany = all.filter((r) => r.status === 429);
    expect(tooMany.length).toBeGreaterThan(0);
    for (const r of tooMany) expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    // a request with a token is never held back by that
    const u = await register(limited.url);
    expect((await gql(limited.url, ME, {}, u.token)).data.me.id).toBe(u.userId);
  });
});
