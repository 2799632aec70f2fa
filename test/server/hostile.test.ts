/**
 * Hostile input, table-driven: for every category an attacker can reach, the server answers with a typed
 * refusal (a stable `extensions.code`, a typed error member, or a 4xx) — never a masked 500 — and serves
 * honest requests afterwards.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { getIntrospectionQuery, getOperationAST, getVariableValues, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { schema } from '../../src/server/graphql/schema.js';
import { fakeIdentityKey, gql, register, type Registered, startServer, type TestServer, uniqueName, wsClient, wsQuery } from './harness.js';
import { directConversation } from './realtime-helpers.js';

let s: TestServer;
let a: Registered;
let b: Registered;
let conv: string;
beforeAll(async () => {
  s = await startServer({ callSweepIntervalMs: 0, attachmentSweepIntervalMs: 0, messageSweepIntervalMs: 0 });
  a = await register(s.url);
  b = await register(s.url);
  conv = await directConversation(s.url, a, b);
});
afterAll(async () => {
  await s?.stop();
});

const NUL = 'a\u0000b';
const LONE_HIGH = 'x\uD800y';
const LONE_LOW = 'x\uDC00y';
const BIG = '9999999999999999999';
const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Every error of a response carries a stable code; none is a masked internal error. */
function expectTyped(r: { status: number; data?: any; errors?: { message: string; extensions?: { code?: string } }[] }, label: string): void {
  expect(r.status, `${label}: HTTP status ${r.status} ${JSON.stringify(r)}`).toBeLessThan(500);
  for (const e of r.errors ?? []) {
    expect(e.extensions?.code, `${label}: ${JSON.stringify(e)}`).toBeTruthy();
    expect(e.extensions?.code, `${label}: ${JSON.stringify(e)}`).not.toBe('INTERNAL_SERVER_ERROR');
  }
}

/** A union result is an error member with a code, or the result itself. */
function typedMember(v: any): string | undefined {
  return v && typeof v === 'object' && 'code' in v ? v.code : undefined;
}

async function stillServes(): Promise<void> {
  const r = await gql(s.url, '{ me { id } }', {}, a.token);
  expect(r.data?.me?.id).toBe(a.userId);
}

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on Error { code } } }`;

describe('strings that PostgreSQL cannot store unchanged (NUL, lone surrogates) are refused at the edge', () => {
  const cases: [string, () => Promise<any>][] = [];
  for (const [name, bad] of [
    ['NUL', NUL],
    ['a lone high surrogate', LONE_HIGH],
    ['a lone low surrogate', LONE_LOW],
  ] as const) {
    cases.push([
      `${name} in a username`,
      () =>
        gql(s.url, `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on Error { code } } }`, {
          i: { username: bad, displayName: 'x', device: { name: 'p', registrationId: 1, identityKey: fakeIdentityKey() } },
        }),
    ]);
    cases.push([
      `${name} in a display name`,
      () =>
        gql(s.url, `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on Error { code } } }`, {
          i: { username: uniqueName(), displayName: bad, device: { name: 'p', registrationId: 1, identityKey: fakeIdentityKey() } },
        }),
    ]);
    cases.push([`${name} in a directory search`, () => gql(s.url, `query($q: String!) { users(search: $q) { __typename } }`, { q: bad }, a.token)]);
    cases.push([`${name} in a conversation search`, () => gql(s.url, `query($q: String!) { searchConversations(query: $q) { __typename } }`, { q: bad }, a.token)]);
    cases.push([`${name} in a group name`, () => gql(s.url, `mutation { createGroup(input: { name: ${JSON.stringify(bad)}, memberIds: [] }) { __typename } }`, {}, a.token)]);
    cases.push([
      `${name} in a clientMessageId`,
      () =>
        gql(
          s.url,
          SEND,
          { input: { conversationId: conv, clientMessageId: bad, contentType: 'TEXT', envelopes: [{ deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA' }] } },
          a.token,
        ),
    ]);
    cases.push([`${name} in a cursor`, () => gql(s.url, `query($c: String) { conversations(after: $c) { __typename } }`, { c: bad }, a.token)]);
    cases.push([`${name} in an id`, () => gql(s.url, `query($id: ID!) { conversation(id: $id) { __typename } }`, { id: bad }, a.token)]);
    cases.push([`${name} in a link code`, () => gql(s.url, `mutation($c: String!) { linkDevice(code: $c, device: { name: "x", registrationId: 1, identityKey: "${fakeIdentityKey()}" }) { __typename } }`, { c: bad })]);
    cases.push([`${name} in a device credential`, () => gql(s.url, `mutation($c: String!) { createAccessToken(credential: $c) { __typename } }`, { c: bad })]);
  }
  it.each(cases)('%s', async (_label, run) => {
    const r = await run();
    expectTyped(r, _label);
    const member = r.data ? Object.values(r.data)[0] : undefined;
    expect(Boolean(r.errors?.length) || typedMember(member) !== undefined || (member as any)?.__typename?.endsWith('Error'), JSON.stringify(r)).toBe(true);
    await stillServes();
  });

  it('two client message ids that differ only in unpaired surrogates are both refused: neither is stored as the other', async () => {
    const send = (cmid: string) =>
      gql(s.url, SEND, { input: { conversationId: conv, clientMessageId: cmid, contentType: 'TEXT', envelopes: [{ deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA' }] } }, a.token);
    const first = await send('m\uD800');
    const second = await send('m\uD801');
    for (const r of [first, second]) {
      expectTyped(r, 'surrogate cmid');
      expect(r.data?.sendMessage?.__typename ?? r.errors?.[0]?.extensions?.code).not.toBe('Message');
    }
  });
});

describe('refused variables: HTTP 400 and a stable code on every executor and transport, in graphql-js words', () => {
  // sendMessage and acknowledgeEnvelopes run compiled (graphql/compiled.ts), conversation on graphql-js
  const SEND_BACK = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename } }`;
  const ACK_BACK = `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }`;
  const CONV = `query($id: ID!) { conversation(id: $id) { __typename } }`;
  const envelope = (over: object = {}) => ({ deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA', ...over });
  const input = (over: object = {}) => ({ conversationId: conv, clientMessageId: randomUUID(), contentType: 'TEXT', envelopes: [envelope()], ...over });
  const cases: [string, string, () => Record<string, unknown>, string][] = [
    ['a ciphertext that is not base64', SEND_BACK, () => ({ input: input({ envelopes: [envelope({ ciphertext: '%%%' })] }) }), 'INVALID_INPUT'],
    ['an envelope type that is a string', SEND_BACK, () => ({ input: input({ envelopes: [envelope({ type: 'x' })] }) }), 'BAD_USER_INPUT'],
    ['an envelope type that is a fraction', SEND_BACK, () => ({ input: input({ envelopes: [envelope({ type: 2.5 })] }) }), 'BAD_USER_INPUT'],
    ['required fields left out', SEND_BACK, () => ({ input: { conversationId: conv } }), 'BAD_USER_INPUT'],
    ['a field the input does not have', SEND_BACK, () => ({ input: input({ bogus: 1 }) }), 'BAD_USER_INPUT'],
    ['a content type not in the enum', SEND_BACK, () => ({ input: input({ contentType: 'NOPE' }) }), 'BAD_USER_INPUT'],
    ['a null input', SEND_BACK, () => ({ input: null }), 'BAD_USER_INPUT'],
    ['no variables at all', SEND_BACK, () => ({}), 'BAD_USER_INPUT'],
    ['a null envelope in the list', SEND_BACK, () => ({ input: input({ envelopes: [null] }) }), 'BAD_USER_INPUT'],
    ['an expiry beyond a 32-bit int', SEND_BACK, () => ({ input: input({ expiresIn: 1e12 }) }), 'BAD_USER_INPUT'],
    ['an envelope id that is an object', ACK_BACK, () => ({ ids: [{}] }), 'BAD_USER_INPUT'],
    ['envelope ids that are a boolean', ACK_BACK, () => ({ ids: true }), 'BAD_USER_INPUT'],
    ['a conversation id that is an object', CONV, () => ({ id: {} }), 'BAD_USER_INPUT'],
  ];
  it.each(cases)('%s', async (_label, query, variables, code) => {
    const vars = variables();
    const doc = parse(query);
    const expected = getVariableValues(schema, getOperationAST(doc)!.variableDefinitions ?? [], vars).errors?.map((e) => e.message);
    expect(expected?.length).toBeGreaterThan(0);
    const overHttp = await gql(s.url, query, vars, a.token);
    expect(overHttp.status).toBe(400);
    expect(overHttp.data ?? undefined).toBeUndefined();
    expect(overHttp.errors?.map((e: { message: string }) => e.message)).toEqual(expected);
    expect(overHttp.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual(expected!.map(() => code));
    const ws = wsClient(s.wsUrl, a.token);
    try {
      const overWs = await wsQuery(ws, query, vars);
      expect(overWs.errors?.map((e: { message: string }) => e.message)).toEqual(expected);
      expect(overWs.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual(expected!.map(() => code));
    } finally {
      await ws.dispose();
    }
  });
});

describe('graphql-ws: a refused document stays refused on every try', () => {
  it('an over-limit or invalid query is refused each time it is sent on one socket, and an accepted one keeps working', async () => {
    const ws = wsClient(s.wsUrl, a.token);
    try {
      const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
      const invalid = '{ me { noSuchField } }';
      for (let i = 0; i < 3; i++) {
        expect((await wsQuery(ws, aliases)).errors?.[0]?.extensions?.code).toBe('ALIASES_LIMIT_EXCEEDED');
        expect((await wsQuery(ws, invalid)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect((await wsQuery(ws, '{ me { id } }')).data?.me?.id).toBe(a.userId);
      }
    } finally {
      await ws.dispose();
    }
  });
});

describe('graphql-ws: the relay mutations answer the same whether their text is new to the socket or known (compiled, without the envelop)', () => {
  it('refusals, typed error members and results are identical on the first and the later sends of one text', async () => {
    const SEND_ALL = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on Error { code message } ... on MismatchedDevicesError { missing { id } extra { id } } ... on Message { contentType conversationId } } }`;
    const ACK_ALL = `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename ... on Error { code message } ... on AcknowledgeResult { acknowledged } } }`;
    const base = { conversationId: conv, contentType: 'TEXT', envelopes: [{ deviceId: b.deviceUuid, type: 2, ciphertext: 'AAAA' }] };
    const unknown = randomUUID();
    const cases: [string, string, (i: number) => Record<string, unknown>][] = [
      ['a send', SEND_ALL, (i) => ({ input: { ...base, clientMessageId: `same-${i}-${randomUUID()}` } })],
      ['a device set that does not match', SEND_ALL, (i) => ({ input: { ...base, clientMessageId: `mm-${i}`, envelopes: [] } })],
      ['an unknown conversation', SEND_ALL, (i) => ({ input: { ...base, conversationId: unknown, clientMessageId: `nf-${i}` } })],
      ['an envelope type out of range', SEND_ALL, (i) => ({ input: { ...base, clientMessageId: `t-${i}`, envelopes: [{ deviceId: b.deviceUuid, type: 9, ciphertext: 'AAAA' }] } })],
      ['acknowledging what is not queued', ACK_ALL, () => ({ ids: ['1', '2'] })],
      ['acknowledging malformed ids', ACK_ALL, () => ({ ids: ['x'] })],
    ];
    // over HTTP every operation goes through the envelop; on a socket the first operation of a text does, and
    // later ones (here: all but the very first of each text) run compiled without it
    const ws = wsClient(s.wsUrl, a.token);
    try {
      for (const [label, query, vars] of cases) {
        const overHttp = await gql(s.url, query, vars(0), a.token);
        expect(overHttp.status, label).toBe(200);
        for (let i = 1; i <= 2; i++) expect(JSON.stringify(await wsQuery(ws, query, vars(i))), label).toBe(JSON.stringify({ data: overHttp.data }));
      }
    } finally {
      await ws.dispose();
    }
  });
});

describe('ids, numbers and cursors that pass a format check but not the database are typed refusals', () => {
  const cases: [string, () => Promise<any>][] = [
    ['an envelope id beyond bigint', () => gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }`, { ids: [BIG] }, a.token)],
    ['a negative envelope id', () => gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }`, { ids: ['-1'] }, a.token)],
    ['an envelope id with letters', () => gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }`, { ids: ['12a'] }, a.token)],
    ['a pendingEnvelopes cursor beyond bigint', () => gql(s.url, `query($a: ID) { pendingEnvelopes(after: $a) { __typename } }`, { a: BIG }, a.token)],
    ['a conversation id that is not a uuid', () => gql(s.url, `query { conversation(id: "nope") { __typename } }`, {}, a.token)],
    ['a message id that is not a uuid', () => gql(s.url, `query { message(id: "1 or 1=1") { __typename } }`, {}, a.token)],
    ['a history cursor beyond bigint', () => gql(s.url, `query($c: ID!, $a: String) { messages(conversationId: $c, after: $a) { __typename } }`, { c: conv, a: cursor([BIG]) }, a.token)],
    ['a history cursor that is an empty array', () => gql(s.url, `query($c: ID!, $a: String) { messages(conversationId: $c, after: $a) { __typename } }`, { c: conv, a: cursor([]) }, a.token)],
    ['a history cursor that is not JSON', () => gql(s.url, `query($c: ID!, $a: String) { messages(conversationId: $c, after: $a) { __typename } }`, { c: conv, a: 'bm90IGpzb24' }, a.token)],
    ['a conversation-list cursor with an invalid time', () => gql(s.url, `query($a: String) { conversations(after: $a) { __typename } }`, { a: cursor(['2026-13-45 99:99:99+00', randomUUID()]) }, a.token)],
    ['a conversation-list cursor with a nested array', () => gql(s.url, `query($a: String) { conversations(after: $a) { __typename } }`, { a: cursor([[1], {}]) }, a.token)],
    ['a call-history cursor with a time in the wrong format', () => gql(s.url, `query($a: String) { callHistory(after: $a) { __typename } }`, { a: cursor(['yesterday', randomUUID()]) }, a.token)],
    ['a directory cursor of the wrong shape', () => gql(s.url, `query($a: String) { users(search: "a", after: $a) { __typename } }`, { a: cursor([1, 2, 3]) }, a.token)],
    ['a page size of zero', () => gql(s.url, `query { conversations(first: 0) { __typename } }`, {}, a.token)],
    ['a page size beyond the limit', () => gql(s.url, `query { messages(conversationId: "${randomUUID()}", first: 100000) { __typename } }`, {}, a.token)],
    ['a key id beyond uint32', () => gql(s.url, `mutation { uploadPreKeys(input: { oneTimePreKeys: [{ keyId: 4294967296, publicKey: "${fakeIdentityKey()}" }] }) { __typename } }`, {}, a.token)],
    ['a Signal device id beyond 127', () => gql(s.url, `mutation($u: ID!) { preKeyBundles(userId: $u, deviceIds: [100000]) { __typename } }`, { u: b.userId }, a.token)],
    ['a registration id beyond 14 bits', () => gql(s.url, `mutation { register(input: { username: "${uniqueName()}", displayName: "x", device: { name: "p", registrationId: 2147483647, identityKey: "${fakeIdentityKey()}" } }) { __typename } }`)],
    ['a disappearing timer of minus one', () => gql(s.url, `mutation($c: ID!) { setDisappearingTimer(conversationId: $c, seconds: -1) { __typename } }`, { c: conv }, a.token)],
    ['an expiry beyond an int', () => gql(s.url, `mutation { sendMessage(input: { conversationId: "${randomUUID()}", clientMessageId: "x", contentType: TEXT, envelopes: [], expiresIn: 99999999999 }) { __typename } }`, {}, a.token)],
    ['bytes that are not base64', () => gql(s.url, `mutation { sendMessage(input: { conversationId: "${randomUUID()}", clientMessageId: "x", contentType: TEXT, envelopes: [{ deviceId: "${b.deviceUuid}", type: 2, ciphertext: "%%%" }] }) { __typename } }`, {}, a.token)],
    ['an envelope type that is not a Signal type', () => gql(s.url, SEND, { input: { conversationId: conv, clientMessageId: randomUUID(), contentType: 'TEXT', envelopes: [{ deviceId: b.deviceUuid, type: 99, ciphertext: 'AAAA' }] } }, a.token)],
    ['a call id that is not a uuid', () => gql(s.url, `mutation { acceptCall(callId: "x") { __typename } }`, {}, a.token)],
    ['a presence list of 10,000 ids', () => gql(s.url, `query($u: [ID!]!) { presence(userIds: $u) { userId } }`, { u: Array.from({ length: 10_000 }, () => randomUUID()) }, a.token)],
  ];
  it.each(cases)('%s', async (label, run) => {
    const r = await run();
    expectTyped(r, label);
    await stillServes();
  });
});

describe('keys', () => {
  const LOW_ORDER = [
    Buffer.alloc(32),
    Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]),
    Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'),
    Buffer.from('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', 'hex'),
    Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'),
    Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'),
  ];
  it.each(LOW_ORDER.map((k) => [k.toString('hex').slice(0, 8), k] as const))('a low-order identity key (%s...) is refused at registration', async (_l, k) => {
    const key = Buffer.concat([Buffer.from([5]), k]).toString('base64');
    const r = await gql(s.url, `mutation($k: Bytes!) { register(input: { username: "${uniqueName()}", displayName: "x", device: { name: "p", registrationId: 1, identityKey: $k } }) { __typename ... on Error { code } } }`, { k: key });
    expectTyped(r, 'low-order key');
    expect(r.data.register).toMatchObject({ __typename: 'InvalidKeyError', code: 'INVALID_KEY' });
  });
});

describe('query shapes: every limit refusal carries its own code', () => {
  const deep = (n: number) => `{ me { ${'devices { userId '.repeat(0)}${Array.from({ length: n }, () => 'id').join(' ')} } }`;
  const cases: [string, string, string][] = [
    ['depth', `{ conversations { items { participants { user { devices { id } } } } pageInfo { endCursor } } me { id devices { id } } } ${'query X { me { id } }'.slice(0, 0)}`, ''],
    ['aliases', `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }`, 'ALIASES_LIMIT_EXCEEDED'],
    ['directives', `{ me @include(if: true) ${'@include(if: true) '.repeat(40)} { id } }`, 'DIRECTIVES_LIMIT_EXCEEDED'],
    ['tokens', `{ me { ${'id '.repeat(3000)} } }`, 'TOKEN_LIMIT_EXCEEDED'],
    ['depth under __schema', `{ __schema { types { fields { type { ${'ofType { '.repeat(16)}name${' }'.repeat(16)} } } } } }`, 'DEPTH_LIMIT_EXCEEDED'],
    ['cost', `{ ${Array.from({ length: 14 }, (_, i) => `c${i}: conversations(first: 100) { items { participants { user { devices { id identityKey } } } } }`).join(' ')} }`, 'COST_LIMIT_EXCEEDED'],
    ['fragment cycles', `{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }`, 'GRAPHQL_VALIDATION_FAILED'],
  ];
  it("the standard introspection query (GraphiQL's) is within the limits", async () => {
    const r = await gql(s.url, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(r.errors).toBeUndefined();
    expect(r.data.__schema.types.length).toBeGreaterThan(50);
  });

  it.each(cases.filter((c) => c[2]))('%s', async (label, query, code) => {
    const r = await gql(s.url, query, {}, a.token);
    expectTyped(r, label);
    expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe(code);
    await stillServes();
  });
  void deep;
});

/** A raw HTTP request (for what fetch would normalise away). */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

describe('HTTP-level abuse', () => {
  it('refuses bodies that are not JSON, not UTF-8, or of a content type a form could send (CSRF), with 4xx and a code', async () => {
    const json = { 'content-type': 'application/json' };
    const cases: [string, Record<string, string>, Buffer | string][] = [
      ['invalid JSON', json, '{"query": '],
      ['invalid UTF-8', json, Buffer.from([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
      ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 'query=%7B%20me%20%7B%20id%20%7D%20%7D'],
      ['a text/plain post', { 'content-type': 'text/plain' }, '{"query":"{ __typename }"}'],
      ['a multipart post', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ __typename }\r\n--x--\r\n'],
      ['variables that are a string', json, '{"query":"query($c: ID!) { conversation(id: $c) { __typename } }","variables":"nope"}'],
    ];
    for (const [label, headers, body] of cases) {
      const r = await raw('POST', '/graphql', { ...headers, authorization: `Bearer ${a.token}`, 'content-length': String(Buffer.byteLength(body)) }, body);
      expect(r.status, `${label}: ${r.status} ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${label}: ${r.body}`).toBeLessThan(500);
      expect(JSON.parse(r.body).errors?.[0]?.extensions?.code, `${label}: ${r.body}`).toBeTruthy();
    }
    await stillServes();
  });

  it('refuses GET requests whose variables or extensions are not JSON, and mutations over GET', async () => {
    for (const qs of [
      `query=${encodeURIComponent('{ me { id } }')}&variables=notjson`,
      `query=${encodeURIComponent('{ me { id } }')}&extensions=%7B`,
      `query=${encodeURIComponent('mutation { createDeviceLinkCode { code } }')}`,
    ]) {
      const r = await raw('GET', `/graphql?${qs}`, { accept: 'application/json', authorization: `Bearer ${a.token}` });
      expect(r.status, `${qs}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${qs}: ${r.body}`).toBeLessThan(500);
      expect(JSON.parse(r.body).errors?.[0]?.extensions?.code, r.body).toBeTruthy();
    }
  });

  it('answers a cross-origin request without echoing its Origin (same origin only by default)', async () => {
    const body = '{"query":"{ __typename }"}';
    const r = await raw('POST', '/graphql', { 'content-type': 'application/json', origin: 'https://evil.example', 'content-length': String(body.length) }, body);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await raw('OPTIONS', '/graphql', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('forged, expired and malformed tokens are 401 UNAUTHENTICATED', async () => {
    const parts = a.token.split('.');
    for (const t of [`${parts[0]}.${parts[1]}.AAAA`, 'x.y.z', 'not-a-jwt', `${a.token}x`, '']) {
      const body = '{"query":"{ me { id } }"}';
      const r = await raw('POST', '/graphql', { 'content-type': 'application/json', authorization: `Bearer ${t}`, 'content-length': String(body.length) }, body);
      expect(r.status, t).toBe(401);
      expect(JSON.parse(r.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('graphql-ws abuse', () => {
  function socket(): Promise<WebSocket> {
    const ws = new WebSocket(s.wsUrl, 'graphql-transport-ws');
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }
  const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

  it('closes a socket that sends garbage, or subscribes before connection_init, with a 44xx code', async () => {
    const g = await socket();
    const gClosed = closed(g);
    g.send('not json');
    expect(await gClosed).toBeGreaterThanOrEqual(4400);
    const early = await socket();
    const eClosed = closed(early);
    early.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } }));
    expect(await eClosed).toBe(4401);
    await stillServes();
  });

  it('refuses more subscriptions on one socket than MAX_SUBSCRIPTIONS_PER_SOCKET, with a code, and keeps the socket', async () => {
    const ws = await socket();
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${a.token}` } }));
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
    const errors: any[] = [];
    ws.on('message', (m) => {
      const msg = JSON.parse(String(m));
      if (msg.type === 'error') errors.push(msg);
    });
    for (let i = 0; i < 130; i++) ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: 'subscription { preKeysLow { oneTime } }' } }));
    await new Promise((r) => setTimeout(r, 500));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].payload[0].extensions.code).toBe('SUBSCRIPTION_LIMIT');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});

describe('other holes', () => {
  it('attachToMessage does not tell a foreign message from one that does not exist', async () => {
    const c = await register(s.url);
    const other = await directConversation(s.url, b, c);
    const m = await gql(
      s.url,
      `mutation($i: SendMessageInput!) { sendMessage(input: $i) { ... on Message { id } } }`,
      { i: { conversationId: other, clientMessageId: randomUUID(), contentType: 'TEXT', envelopes: [{ deviceId: c.deviceUuid, type: 2, ciphertext: 'AAAA' }] } },
      b.token,
    );
    const foreign = m.data.sendMessage.id;
    const q = `mutation($m: ID!, $a: [ID!]!) { attachToMessage(messageId: $m, attachmentIds: $a) { __typename ... on Error { code } } }`;
    const r1 = await gql(s.url, q, { m: foreign, a: [randomUUID()] }, a.token);
    const r2 = await gql(s.url, q, { m: randomUUID(), a: [randomUUID()] }, a.token);
    expect(r1.data.attachToMessage).toEqual(r2.data.attachToMessage);
  });

  it('/metrics is not public', async () => {
    const r = await raw('GET', '/metrics', {});
    expect([401, 403, 404]).toContain(r.status);
  });
});
