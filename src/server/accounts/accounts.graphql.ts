/** Users, devices, registration, linking and tokens in the schema. */
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { errorOptions } from '../graphql/types.js';
import { ServerBusyError } from '../kernel/bounded.js';
import { ForbiddenError, InvalidInputError, InvalidKeyError, NotFoundError, RateLimitedError } from '../kernel/errors.js';
import { DeviceLimitError, InvalidCredentialsError, InvalidLinkCodeError, UsernameTakenError } from './accounts.errors.js';
import type { DeviceCredentials, DeviceRow, UserRow } from './accounts.service.js';

builder.objectType(UsernameTakenError, {
  ...errorOptions(UsernameTakenError, 'UsernameTakenError', 'The username is taken (compared case-insensitively).'),
  fields: (t) => ({ username: t.exposeString('username') }),
});
builder.objectType(DeviceLimitError, {
  ...errorOptions(DeviceLimitError, 'DeviceLimitError', 'The user already has the maximum number of devices.'),
  fields: (t) => ({ max: t.exposeInt('max') }),
});
builder.objectType(InvalidCredentialsError, {
  ...errorOptions(InvalidCredentialsError, 'InvalidCredentialsError', 'Unknown device or wrong device secret.'),
  fields: () => ({}),
});
builder.objectType(InvalidLinkCodeError, {
  ...errorOptions(InvalidLinkCodeError, 'InvalidLinkCodeError', 'The link code is unknown, already used or expired.'),
  fields: () => ({}),
});

export const UserRef = builder.objectRef<UserRow>('User').implement({
  description: 'A person, by id. Strangers look users up by exact username (userByUsername); substring search is among contacts only (users).',
  fields: (t) => ({
    id: t.exposeID('id'),
    username: t.exposeString('username'),
    displayName: t.exposeString('displayName'),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    devices: t.field({
      type: [DeviceRef],
      description: "The user's current devices (senders encrypt once for each).",
      resolve: (u, _a, ctx) => ctx.loaders.devicesOfUser.load(u.id),
    }),
  }),
});

export const DeviceRef = builder.objectRef<DeviceRow>('Device').implement({
  description: 'One installation of the app. Its identity key never changes.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Server id of the device (used for credentials and removal).' }),
    userId: t.exposeID('userId'),
    deviceId: t.exposeInt('deviceId', { description: 'The Signal device id (1..127) used in protocol addresses.' }),
    name: t.exposeString('name'),
    registrationId: t.exposeInt('registrationId'),
    identityKey: t.expose('identityKey', { type: 'Bytes', description: 'X25519 identity public key, 0x05 || 32 bytes.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSeenAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "Shown only for the caller's own devices.",
      resolve: (d, _a, ctx) => (ctx.auth?.userId === d.userId ? d.lastSeenAt : null),
    }),
  }),
});

const DeviceCredentialsRef = builder.objectRef<DeviceCredentials>('DeviceCredentials').implement({
  description:
    'Returned once when a device is created. Keep `deviceCredential` on the device (it is not stored on the server) and exchange it with `createAccessToken` when the access token expires.',
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (c) => c.user }),
    device: t.field({ type: DeviceRef, resolve: (c) => c.device }),
    deviceCredential: t.exposeString('deviceCredential', {
      description: 'The device’s long-term credential, one opaque string (it names the device and carries its secret).',
    }),
    accessToken: t.exposeString('accessToken'),
    accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime' }),
  }),
});

const AccessTokenRef = builder.objectRef<{ token: string; expiresAt: Date }>('AccessToken').implement({
  fields: (t) => ({
    token: t.exposeString('token'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

const LinkCodeRef = builder.objectRef<{ code: string; expiresAt: Date }>('DeviceLinkCode').implement({
  description: 'A one-time code that lets a new device join the account (show it as a QR code).',
  fields: (t) => ({
    code: t.exposeString('code'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

const NewDeviceInput = builder.inputType('NewDeviceInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    registrationId: t.int({ required: true, description: '1..16380' }),
    identityKey: t.field({ type: 'Bytes', required: true, description: '0x05 || 32-byte X25519 public key' }),
  }),
});

const RegisterInput = builder.inputType('RegisterInput', {
  fields: (t) => ({
    username: t.string({ required: true, description: '3-32 of [A-Za-z0-9_.-], unique case-insensitively' }),
    displayName: t.string({ required: true }),
    avatarUrl: t.string(),
    device: t.field({ type: NewDeviceInput, required: true }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: UserRef,
    description: 'The authenticated user.',
    resolve: async (_r, _a, ctx) => {
      const auth = requireAuth(ctx);
      return (await ctx.services.accounts.userById(auth.userId))!;
    },
  }),
  myDevice: t.field({
    type: DeviceRef,
    description: 'The authenticated device.',
    resolve: async (_r, _a, ctx) => {
      const auth = requireAuth(ctx);
      const devices = await ctx.services.accounts.devicesOf(auth.userId);
      return devices.find((d) => d.id === auth.deviceUuid)!;
    },
  }),
  user: t.field({
    type: UserRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => {
      requireAuth(ctx);
      return ctx.services.accounts.userById(String(id));
    },
  }),
  devices: t.field({
    type: [DeviceRef],
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_r, { userId }, ctx) => {
      requireAuth(ctx);
      return ctx.services.accounts.devicesOf(String(userId));
    },
  }),
}));

builder.mutationFields((t) => ({
  updateProfile: t.field({
    type: UserRef,
    description: "Change the caller's display name and/or avatar URL (an empty avatarUrl removes it).",
    errors: { types: [InvalidInputError] },
    args: { displayName: t.arg.string(), avatarUrl: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.accounts.updateProfile(requireAuth(ctx), { displayName: a.displayName, avatarUrl: a.avatarUrl }),
  }),
  register: t.field({
    type: DeviceCredentialsRef,
    description:
      'Create a user with its first device. Needs no token, unless an external identity provider is configured: then its token is required and binds the user to its subject.',
    errors: { types: [UsernameTakenError, InvalidInputError, InvalidKeyError, DeviceLimitError, ForbiddenError, RateLimitedError, ServerBusyError] },
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      if (ctx.services.tokens.externalEnabled && !ctx.externalSubject) {
        throw new ForbiddenError('registration requires a token of the external identity provider');
      }
      return ctx.services.accounts.register(input, ctx.externalSubject, ctx.clientAddress);
    },
  }),
  createAccessToken: t.field({
    type: AccessTokenRef,
    description: 'Exchange a device credential (`deviceCredential` from register or linkDevice) for a short-lived access token.',
    errors: { types: [InvalidCredentialsError, RateLimitedError, ServerBusyError] },
    args: { credential: t.arg.string({ required: true, description: 'DeviceCredentials.deviceCredential' }) },
    resolve: (_r, a, ctx) => ctx.services.accounts.createAccessToken(a.credential, ctx.clientAddress),
  }),
  createDeviceLinkCode: t.field({
    type: LinkCodeRef,
    resolve: (_r, _a, ctx) => ctx.services.accounts.createLinkCode(requireAuth(ctx)),
  }),
  linkDevice: t.field({
    type: DeviceCredentialsRef,
    description: 'Add a device to the user who created the link code (needs no token: the code is the proof).',
    errors: { types: [InvalidLinkCodeError, DeviceLimitError, InvalidInputError, InvalidKeyError, RateLimitedError, ServerBusyError] },
    args: { code: t.arg.string({ required: true }), device: t.arg({ type: NewDeviceInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.accounts.linkDevice(a.code, a.device, ctx.clientAddress),
  }),
  removeDevice: t.field({
    type: DeviceRef,
    description: "Remove one of the caller's user's devices; its tokens and sockets stop working at once.",
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { id: t.arg.id({ required: true, description: 'Device.id' }) },
    resolve: (_r, { id }, ctx) => ctx.services.accounts.removeDevice(requireAuth(ctx), String(id)),
  }),
}));

/** Root fields anyone may call without a device token. */
export const PUBLIC_ROOT_FIELDS = new Set(['register', 'createAccessToken', 'linkDevice']);

builder.subscriptionFields((t) => ({
  myDevicesChanged: t.field({
    type: [DeviceRef],
    description: "Emits the caller's user's device list whenever a device is linked or removed.",
    subscribe: (_r, _a, ctx) => ctx.services.bus.subscribe('deviceListChanged', requireAuth(ctx).userId),
    resolve: (_p, _a, ctx) => ctx.services.accounts.devicesOf(requireAuth(ctx).userId),
  }),
}));
