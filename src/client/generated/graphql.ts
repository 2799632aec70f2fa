/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type NewDeviceInput = {
  /** 0x05 || 32-byte X25519 public key */
  identityKey: string;
  name: string;
  /** 1..16380 */
  registrationId: number;
};

export type RegisterInput = {
  avatarUrl?: string | null | undefined;
  device: NewDeviceInput;
  displayName: string;
  /** 3-32 of [A-Za-z0-9_.-], unique case-insensitively */
  username: string;
};

export type DeviceFieldsFragment = { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null };

export type CredentialsFieldsFragment = { deviceSecret: string, accessToken: string, accessTokenExpiresAt: string, user: { id: string, username: string, displayName: string }, device: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } };

export type RegisterMutationVariables = Exact<{
  input: RegisterInput;
}>;


export type RegisterMutation = { register:
    | { __typename: 'DeviceCredentials', deviceSecret: string, accessToken: string, accessTokenExpiresAt: string, user: { id: string, username: string, displayName: string }, device: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } }
    | { __typename: 'DeviceLimitError', code: string, message: string, max: number }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string, field: string }
    | { __typename: 'InvalidKeyError', code: string, message: string, field: string }
    | { __typename: 'UsernameTakenError', code: string, message: string, username: string }
   };

export type LinkDeviceMutationVariables = Exact<{
  code: string;
  device: NewDeviceInput;
}>;


export type LinkDeviceMutation = { linkDevice:
    | { __typename: 'DeviceCredentials', deviceSecret: string, accessToken: string, accessTokenExpiresAt: string, user: { id: string, username: string, displayName: string }, device: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } }
    | { __typename: 'DeviceLimitError', code: string, message: string, max: number }
    | { __typename: 'InvalidInputError', code: string, message: string, field: string }
    | { __typename: 'InvalidKeyError', code: string, message: string, field: string }
    | { __typename: 'InvalidLinkCodeError', code: string, message: string }
   };

export type CreateAccessTokenMutationVariables = Exact<{
  deviceId: string;
  deviceSecret: string;
}>;


export type CreateAccessTokenMutation = { createAccessToken:
    | { __typename: 'AccessToken', token: string, expiresAt: string }
    | { __typename: 'InvalidCredentialsError', code: string, message: string }
   };

export type CreateDeviceLinkCodeMutationVariables = Exact<{ [key: string]: never; }>;


export type CreateDeviceLinkCodeMutation = { createDeviceLinkCode: { code: string, expiresAt: string } };

export type RemoveDeviceMutationVariables = Exact<{
  id: string;
}>;


export type RemoveDeviceMutation = { removeDevice:
    | { __typename: 'Device', id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, username: string, displayName: string, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } };

export type MyDeviceQueryVariables = Exact<{ [key: string]: never; }>;


export type MyDeviceQuery = { myDevice: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } };

export type DevicesQueryVariables = Exact<{
  userId: string;
}>;


export type DevicesQuery = { devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> };

export type UserQueryVariables = Exact<{
  id: string;
}>;


export type UserQuery = { user: { id: string, username: string, displayName: string, avatarUrl: string | null } | null };

export type SearchUsersQueryVariables = Exact<{
  search: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SearchUsersQuery = { users:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'UserPage', items: Array<{ id: string, username: string, displayName: string }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
   };

export type MyDevicesChangedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type MyDevicesChangedSubscription = { myDevicesChanged: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DeviceFieldsFragmentDoc = new TypedDocumentString(`
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}
    `, {"fragmentName":"DeviceFields"}) as unknown as TypedDocumentString<DeviceFieldsFragment, unknown>;
export const CredentialsFieldsFragmentDoc = new TypedDocumentString(`
    fragment CredentialsFields on DeviceCredentials {
  deviceSecret
  accessToken
  accessTokenExpiresAt
  user {
    id
    username
    displayName
  }
  device {
    ...DeviceFields
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}`, {"fragmentName":"CredentialsFields"}) as unknown as TypedDocumentString<CredentialsFieldsFragment, unknown>;
export const RegisterDocument = new TypedDocumentString(`
    mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on DeviceCredentials {
      ...CredentialsFields
    }
    ... on Error {
      code
      message
    }
    ... on InvalidInputError {
      field
    }
    ... on InvalidKeyError {
      field
    }
    ... on UsernameTakenError {
      username
    }
    ... on DeviceLimitError {
      max
    }
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}
fragment CredentialsFields on DeviceCredentials {
  deviceSecret
  accessToken
  accessTokenExpiresAt
  user {
    id
    username
    displayName
  }
  device {
    ...DeviceFields
  }
}`) as unknown as TypedDocumentString<RegisterMutation, RegisterMutationVariables>;
export const LinkDeviceDocument = new TypedDocumentString(`
    mutation LinkDevice($code: String!, $device: NewDeviceInput!) {
  linkDevice(code: $code, device: $device) {
    __typename
    ... on DeviceCredentials {
      ...CredentialsFields
    }
    ... on Error {
      code
      message
    }
    ... on InvalidInputError {
      field
    }
    ... on InvalidKeyError {
      field
    }
    ... on DeviceLimitError {
      max
    }
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}
fragment CredentialsFields on DeviceCredentials {
  deviceSecret
  accessToken
  accessTokenExpiresAt
  user {
    id
    username
    displayName
  }
  device {
    ...DeviceFields
  }
}`) as unknown as TypedDocumentString<LinkDeviceMutation, LinkDeviceMutationVariables>;
export const CreateAccessTokenDocument = new TypedDocumentString(`
    mutation CreateAccessToken($deviceId: ID!, $deviceSecret: String!) {
  createAccessToken(deviceId: $deviceId, deviceSecret: $deviceSecret) {
    __typename
    ... on AccessToken {
      token
      expiresAt
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateAccessTokenMutation, CreateAccessTokenMutationVariables>;
export const CreateDeviceLinkCodeDocument = new TypedDocumentString(`
    mutation CreateDeviceLinkCode {
  createDeviceLinkCode {
    code
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<CreateDeviceLinkCodeMutation, CreateDeviceLinkCodeMutationVariables>;
export const RemoveDeviceDocument = new TypedDocumentString(`
    mutation RemoveDevice($id: ID!) {
  removeDevice(id: $id) {
    __typename
    ... on Device {
      ...DeviceFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}`) as unknown as TypedDocumentString<RemoveDeviceMutation, RemoveDeviceMutationVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    id
    username
    displayName
    devices {
      ...DeviceFields
    }
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}`) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const MyDeviceDocument = new TypedDocumentString(`
    query MyDevice {
  myDevice {
    ...DeviceFields
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}`) as unknown as TypedDocumentString<MyDeviceQuery, MyDeviceQueryVariables>;
export const DevicesDocument = new TypedDocumentString(`
    query Devices($userId: ID!) {
  devices(userId: $userId) {
    ...DeviceFields
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}`) as unknown as TypedDocumentString<DevicesQuery, DevicesQueryVariables>;
export const UserDocument = new TypedDocumentString(`
    query User($id: ID!) {
  user(id: $id) {
    id
    username
    displayName
    avatarUrl
  }
}
    `) as unknown as TypedDocumentString<UserQuery, UserQueryVariables>;
export const SearchUsersDocument = new TypedDocumentString(`
    query SearchUsers($search: String!, $first: Int, $after: String) {
  users(search: $search, first: $first, after: $after) {
    __typename
    ... on UserPage {
      items {
        id
        username
        displayName
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SearchUsersQuery, SearchUsersQueryVariables>;
export const MyDevicesChangedDocument = new TypedDocumentString(`
    subscription MyDevicesChanged {
  myDevicesChanged {
    ...DeviceFields
  }
}
    fragment DeviceFields on Device {
  id
  userId
  deviceId
  name
  registrationId
  identityKey
  createdAt
  lastSeenAt
}`) as unknown as TypedDocumentString<MyDevicesChangedSubscription, MyDevicesChangedSubscriptionVariables>;