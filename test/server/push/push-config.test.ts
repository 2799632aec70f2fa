/** Push configuration: everything off by default, each service on with its variables, and a named error for each bad value. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpush from 'web-push';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/server/config.js';

const dir = mkdtempSync(join(tmpdir(), 'push-config-'));
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const p384Pem = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const account = {
  type: 'service_account',
  project_id: 'relay-prod-42',
  private_key_id: 'abc',
  private_key: rsaPem,
  client_email: 'push@relay-prod-42.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
};
const accountFile = file('sa.json', JSON.stringify(account));
const p8 = file('AuthKey.p8', ecPem);
const vapid = webpush.generateVAPIDKeys();
const other = webpush.generateVAPIDKeys();

describe('push configuration', () => {
  it('turns every push service off when nothing is set', () => {
    const { push } = loadConfig({});
    expect(push).toEqual({
      debounceMs: 3000,
      rewakeMs: 600_000,
      vapid: undefined,
      vapidSubject: undefined,
      fcm: undefined,
      apns: undefined,
      allowLoopbackEndpoints: false,
    });
  });

  it('reads VAPID keys, a service account and an APNs key', () => {
    const { push } = loadConfig({
      PUSH_DEBOUNCE_MS: '1500',
      PUSH_REWAKE_MS: '60000',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:ops@relay.example',
      FCM_SERVICE_ACCOUNT_FILE: accountFile,
      APNS_KEY_FILE: p8,
      APNS_KEY_ID: 'ABC123DEFG',
      APNS_TEAM_ID: 'DEF123GHIJ',
    });
    expect(push.debounceMs).toBe(1500);
    expect(push.rewakeMs).toBe(60_000);
    expect(push.vapid).toEqual(vapid);
    expect(push.vapidSubject).toBe('mailto:ops@relay.example');
    expect(push.fcm).toMatchObject({
      apiUrl: 'https://fcm.googleapis.com',
      serviceAccount: { projectId: 'relay-prod-42', clientEmail: account.client_email, privateKeyId: 'abc', tokenUri: account.token_uri },
    });
    expect(push.fcm!.serviceAccount.privateKey.asymmetricKeyType).toBe('rsa');
    expect(push.apns).toMatchObject({ keyId: 'ABC123DEFG', teamId: 'DEF123GHIJ', host: undefined });
    expect(push.apns!.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('takes the service account inline, and loopback http URLs for local peers', () => {
    const { push } = loadConfig({
      FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, token_uri: 'http://127.0.0.1:9999/token' }),
      FCM_API_URL: 'http://127.0.0.1:9998/',
      APNS_KEY_FILE: p8,
      APNS_KEY_ID: 'ABC123DEFG',
      APNS_TEAM_ID: 'DEF123GHIJ',
      APNS_HOST: 'https://api.sandbox.push.apple.com',
    });
    expect(push.fcm).toMatchObject({ apiUrl: 'http://127.0.0.1:9998', serviceAccount: { tokenUri: 'http://127.0.0.1:9999/token' } });
    expect(push.apns!.host).toBe('https://api.sandbox.push.apple.com');
  });

  const apnsBase = { APNS_KEY_FILE: p8, APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'DEF123GHIJ' };
  const bad: [string, Record<string, string>, string][] = [
    ['a debounce that is not a number', { PUSH_DEBOUNCE_MS: 'soon' }, 'PUSH_DEBOUNCE_MS'],
    ['a debounce over 10 minutes', { PUSH_DEBOUNCE_MS: '600001' }, 'PUSH_DEBOUNCE_MS'],
    ['a public VAPID key alone', { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_SUBJECT: 'mailto:a@b.c' }, 'VAPID_PRIVATE_KEY'],
    ['VAPID keys without a subject', { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey }, 'VAPID_SUBJECT'],
    ['a subject that is no contact', { VAPID_SUBJECT: 'ops team' }, 'VAPID_SUBJECT'],
    [
      'VAPID keys of two different pairs',
      { VAPID_PUBLIC_KEY: other.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: 'mailto:a@b.c' },
      'VAPID_PUBLIC_KEY',
    ],
    [
      'a private VAPID key of 31 bytes',
      { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: Buffer.alloc(31, 1).toString('base64url'), VAPID_SUBJECT: 'mailto:a@b.c' },
      'VAPID_PRIVATE_KEY',
    ],
    [
      'a service account both inline and as a file',
      { FCM_SERVICE_ACCOUNT_FILE: accountFile, FCM_SERVICE_ACCOUNT_JSON: '{}' },
      'FCM_SERVICE_ACCOUNT_JSON',
    ],
    ['a service account file that does not exist', { FCM_SERVICE_ACCOUNT_FILE: join(dir, 'missing.json') }, 'FCM_SERVICE_ACCOUNT_FILE'],
    ['a service account that is not JSON', { FCM_SERVICE_ACCOUNT_JSON: '{oops' }, 'FCM_SERVICE_ACCOUNT_JSON'],
    [
      'a key that is no service account',
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, type: 'authorized_user' }) },
      'FCM_SERVICE_ACCOUNT_JSON',
    ],
    [
      'a service account without client_email',
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, client_email: undefined }) },
      'FCM_SERVICE_ACCOUNT_JSON',
    ],
    [
      'a service account with an EC key',
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, private_key: ecPem }) },
      'FCM_SERVICE_ACCOUNT_JSON',
    ],
    [
      'a service account with a broken key',
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }) },
      'FCM_SERVICE_ACCOUNT_JSON',
    ],
    [
      'a token_uri over plain http to a remote host',
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, token_uri: 'http://oauth.example.com/token' }) },
      'FCM_SERVICE_ACCOUNT_JSON token_uri',
    ],
    ['an FCM API URL over plain http to a remote host', { FCM_API_URL: 'http://fcm.example.com' }, 'FCM_API_URL'],
    ['an APNs key without its key id', { APNS_KEY_FILE: p8, APNS_TEAM_ID: 'DEF123GHIJ' }, 'APNS_KEY_ID'],
    ['an APNs key id without the key', { APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'DEF123GHIJ' }, 'APNS_KEY_FILE'],
    ['an APNs key without the team id', { APNS_KEY_FILE: p8, APNS_KEY_ID: 'ABC123DEFG' }, 'APNS_TEAM_ID'],
    ['a team id of the wrong shape', { ...apnsBase, APNS_TEAM_ID: 'team' }, 'APNS_TEAM_ID'],
    ['a key id of the wrong shape', { ...apnsBase, APNS_KEY_ID: 'abc123defg' }, 'APNS_KEY_ID'],
    ['an APNs key that is RSA', { ...apnsBase, APNS_KEY_FILE: file('rsa.p8', rsaPem) }, 'APNS_KEY_FILE'],
    ['an APNs key on P-384', { ...apnsBase, APNS_KEY_FILE: file('p384.p8', p384Pem) }, 'APNS_KEY_FILE'],
    ['an APNs key file that is not PEM', { ...apnsBase, APNS_KEY_FILE: file('junk.p8', 'not a key') }, 'APNS_KEY_FILE'],
    ['an APNs host that is not https', { ...apnsBase, APNS_HOST: 'ftp://api.push.apple.com' }, 'APNS_HOST'],
  ];

  it.each(bad)('refuses %s, naming the variable', (_what, env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
  });

  it('never puts key material in an error message', () => {
    for (const env of [
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, private_key: ecPem }) },
      { ...apnsBase, APNS_KEY_FILE: file('rsa2.p8', rsaPem) },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).not.toThrow(/PRIVATE KEY|MII/);
    }
  });
});
