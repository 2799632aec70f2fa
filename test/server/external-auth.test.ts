/** Sitting behind an existing login: an external identity provider's tokens map to users. */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { fakeIdentityKey, gql, REGISTER, register, startServer, type TestServer, uniqueName } from './harness.js';

const IDP_SECRET = 'an-external-identity-provider-secret-0123456789';
let s: TestServer;
beforeAll(async () => {
  const ext = loadConfig({ EXTERNAL_JWT_SECRET: IDP_SECRET, EXTERNAL_JWT_ISSUER: 'https://login.example' }).externalAuth;
  s = await startServer({ externalAuth: ext });
});
afterAll(() => s?.stop());

function idpToken(sub: string, issuer = 'https://login.example') {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(issuer).setExpirationTime('5m').sign(new TextEncoder().encode(IDP_SECRET));
}

describe('external identity provider', () => {
  it('requires its token to register, and binds the user to its subject', async () => {
    const anonymous = await gql(s.url, REGISTER, {
      input: { username: uniqueName(), displayName: 'x', device: { name: 'p', registrationId: 1, identityKey: fakeIdentityKey() } },
    });
    expect(anonymous.data.register.code).toBe('FORBIDDEN');

    const sub = uniqueName('sub');
    const first = await register(s.url, { token: await idpToken(sub) });
    // the same subject enrolling again gets a second device of the same user, not a second user
    const second = await register(s.url, { token: await idpToken(sub) });
    expect(second.userId).toBe(first.userId);
    expect(second.deviceId).toBe(2);
    const me = await gql(s.url, '{ me { devices { deviceId } } }', {}, second.token);
    expect(me.data.me.devices).toHaveLength(2);
  });

  it('refuses tokens of another issuer', async () => {
    const r = await gql(s.url, '{ __typename }', {}, await idpToken('x', 'https://evil.example'));
    expect(r.status).toBe(401);
  });
});
