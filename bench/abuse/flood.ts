/**
 * The anonymous flood of `npm run bench:abuse`, a child process of its own so that its work does not
 * share an event loop with the client being measured. FLOOD_CLIENTS concurrent clients (default 40), each
 * posting, as fast as the server answers, one request of FLOOD_ALIASES (default 15) aliased mutations
 * that need no token: `createAccessToken` for random device ids (the server hashes the guess even for an
 * unknown device) and `register` with fresh usernames, alternating by client. Prints `{"port":0}` when it
 * starts and, on SIGTERM, one `{"flood": ...}` line: requests, HTTP statuses, and the outcome of every
 * aliased operation (result type, `code`, or the `extensions.code` of a request-level error).
 */
import { randomBytes, randomUUID } from 'node:crypto';

const url = process.env.FLOOD_URL!;
const clients = Number(process.env.FLOOD_CLIENTS ?? 40);
const aliases = Number(process.env.FLOOD_ALIASES ?? 15);
const REQUEST_TIMEOUT_MS = 60_000;

const stats = {
  clients,
  aliases,
  requests: 0,
  /** Requests still waiting for an answer when the flood stopped. */
  inFlight: 0,
  /** HTTP status (or a network failure) per request. */
  status: {} as Record<string, number>,
  /** Per aliased operation: `createAccessToken AccessToken`, `register RATE_LIMITED`, ... */
  outcomes: {} as Record<string, number>,
  /** Request-level GraphQL errors by `extensions.code` (NO_CODE: an error without one). */
  requestErrors: {} as Record<string, number>,
  /** Messages of errors without a code, a few distinct ones. */
  uncodedMessages: [] as string[],
};
const count = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

function tokenRequest(): string {
  const fields = Array.from(
    { length: aliases },
    (_, i) =>
      `a${i}: createAccessToken(credential: "sr1.${randomUUID()}.${randomBytes(32).toString('base64url')}") { __typename ... on Error { code } }`,
  );
  return `mutation { ${fields.join(' ')} }`;
}

function registerRequest(): string {
  const fields = Array.from({ length: aliases }, (_, i) => {
    const key = Buffer.concat([Buffer.from([0x05]), randomBytes(32)]).toString('base64');
    const username = `f${randomBytes(9).toString('hex')}`;
    return (
      `a${i}: register(input: { username: "${username}", displayName: "flood", device: { name: "flood", registrationId: ${1 + (i % 16000)}, identityKey: "${key}" } })` +
      ' { __typename ... on Error { code } }'
    );
  });
  return `mutation { ${fields.join(' ')} }`;
}

let running = true;

async function client(kind: 'createAccessToken' | 'register'): Promise<void> {
  while (running) {
    const query = kind === 'register' ? registerRequest() : tokenRequest();
    stats.requests++;
    stats.inFlight++;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
        body: JSON.stringify({ query }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      count(stats.status, String(res.status));
      const body = (await res.json().catch(() => null)) as {
        data?: Record<string, { __typename: string; code?: string } | null> | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      } | null;
      for (const e of body?.errors ?? []) {
        const code = e.extensions?.code ?? 'NO_CODE';
        count(stats.requestErrors, code);
        if (code === 'NO_CODE' && stats.uncodedMessages.length < 5 && !stats.uncodedMessages.includes(e.message)) stats.uncodedMessages.push(e.message);
      }
      for (const r of Object.values(body?.data ?? {})) if (r) count(stats.outcomes, `${kind} ${r.code ?? r.__typename}`);
    } catch (err) {
      count(stats.status, (err as Error).name === 'TimeoutError' ? 'timeout' : 'network error');
    } finally {
      stats.inFlight--;
    }
  }
}

process.on('SIGTERM', () => {
  running = false;
  console.log(JSON.stringify({ flood: stats }));
  process.exit(0);
});
for (let i = 0; i < clients; i++) void client(i % 2 ? 'register' : 'createAccessToken');
console.log(JSON.stringify({ port: 0, started: clients }));
