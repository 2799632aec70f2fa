/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ApnsEnvironment =
  | 'PRODUCTION'
  | 'SANDBOX';

export type CallDirection =
  | 'INCOMING'
  | 'OUTGOING';

export type CallEventKind =
  | 'ACCEPTED'
  | 'CANCELLED'
  | 'DECLINED'
  | 'ENDED'
  | 'LEFT'
  | 'MISSED'
  | 'RINGING';

export type CallMedia =
  | 'AUDIO'
  | 'VIDEO';

/** The caller starts JOINED, everyone else RINGING. */
export type CallParticipantState =
  | 'DECLINED'
  | 'JOINED'
  | 'LEFT'
  | 'MISSED'
  | 'RINGING';

export type CallSignalInput = {
  ciphertext: string;
  /** Device.id of a device of a participant of the call. */
  deviceId: string;
  /** 2 = whisper, 3 = prekey. */
  type: number;
};

/** RINGING -> ONGOING (answered) -> COMPLETED; or, unanswered: DECLINED (every callee declined), CANCELLED (the caller hung up), MISSED (ring timeout). */
export type CallStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'DECLINED'
  | 'MISSED'
  | 'ONGOING'
  | 'RINGING';

export type ContentType =
  | 'AUDIO'
  | 'FILE'
  | 'IMAGE'
  | 'TEXT'
  | 'VIDEO';

export type ConversationEventKind =
  | 'DELETED'
  | 'EXPIRED'
  | 'MEMBERSHIP'
  | 'MESSAGE'
  | 'REACTION'
  | 'RECEIPT'
  | 'TYPING';

export type ConversationKind =
  | 'DIRECT'
  | 'GROUP';

export type CreateGroupInput = {
  avatarUrl?: string | null | undefined;
  /** Other users to add (the caller is always a member). */
  memberIds: Array<string>;
  name: string;
};

export type EnvelopeHeaderInput = {
  /** At most 4096 bytes. */
  ciphertext: string;
  /** 2 = whisper, 3 = prekey */
  type: number;
};

export type EnvelopeInput = {
  ciphertext: string;
  /** The recipient device’s Device.id (uuid), not its Signal device id. */
  deviceId: string;
  /** The registration id encrypted for; a mismatch gives StaleDevicesError. */
  registrationId?: number | null | undefined;
  /** 2 = whisper, 3 = prekey */
  type: number;
};

export type GroupRecipientInput = {
  /** The recipient device’s Device.id (uuid). */
  deviceId: string;
  /** This device’s own pairwise-encrypted part (e.g. a SenderKeyDistributionMessage). */
  header?: EnvelopeHeaderInput | null | undefined;
  /** The registration id the sender knows; a mismatch gives StaleDevicesError. */
  registrationId?: number | null | undefined;
};

export type InboxEndReason =
  /** Another inbox stream of this device opened (one live stream per device). */
  | 'CONNECTED_ELSEWHERE'
  /** The device was removed from its account. */
  | 'DEVICE_REMOVED';

/** Signal’s answers to a message request. ACCEPT; DELETE (direct: empty it for the caller; group: leave); BLOCK (direct: block the other user; group: block whoever added the caller, and leave); BLOCK_AND_DELETE; SPAM (report the named messages, then DELETE); BLOCK_AND_SPAM. */
export type MessageRequestAction =
  | 'ACCEPT'
  | 'BLOCK'
  | 'BLOCK_AND_DELETE'
  | 'BLOCK_AND_SPAM'
  | 'DELETE'
  | 'SPAM';

/** SENT: stored; DELIVERED: every recipient user acknowledged it on a device; READ: every recipient user read it. */
export type MessageStatus =
  | 'DELIVERED'
  | 'READ'
  | 'SENT';

export type NewDeviceInput = {
  /** 0x05 || 32-byte X25519 public key */
  identityKey: string;
  name: string;
  /** 1..16380 */
  registrationId: number;
};

/** A one-time EC prekey. */
export type PreKeyInput = {
  /** Unique per device among its one-time EC prekeys. */
  keyId: number;
  /** 0x05 || 32 bytes */
  publicKey: string;
};

export type PushKind =
  /** An APNs device token, with the app bundle id as topic and the environment. */
  | 'APNS'
  /** A Firebase Cloud Messaging registration token. */
  | 'FCM'
  /** A UnifiedPush endpoint (RFC 8030; keys optional, recommended). */
  | 'UNIFIED_PUSH'
  /** A browser push subscription (RFC 8030 endpoint with its RFC 8291 keys p256dh and auth). */
  | 'WEB_PUSH';

export type RegisterInput = {
  avatarUrl?: string | null | undefined;
  device: NewDeviceInput;
  displayName: string;
  /** 3-32 of [A-Za-z0-9_.-], unique case-insensitively */
  username: string;
};

/** One flat input for every kind: WEB_PUSH and UNIFIED_PUSH take endpoint (+ p256dh and auth, base64url, as PushSubscription.toJSON().keys); FCM takes token; APNS takes token, topic (the bundle id) and environment. A field the kind does not use is refused. */
export type RegisterPushTargetInput = {
  auth?: string | null | undefined;
  endpoint?: string | null | undefined;
  environment?: ApnsEnvironment | null | undefined;
  /** Opt in to pushes that carry the triggering envelope id (never ciphertext or metadata). */
  includeEnvelopeId?: boolean | null | undefined;
  kind: PushKind;
  p256dh?: string | null | undefined;
  token?: string | null | undefined;
  topic?: string | null | undefined;
};

export type SendGroupMessageInput = {
  /** As in sendMessage. */
  attachmentIds?: Array<string> | null | undefined;
  /** The one ciphertext every recipient device receives (stored once). */
  ciphertext: string;
  /** Unique per sending device (1-64 chars), shared with sendMessage: a retry with the same id stores nothing new. */
  clientMessageId: string;
  contentType: ContentType;
  conversationId: string;
  /** Seconds until the message disappears (default: the conversation timer). */
  expiresIn?: number | null | undefined;
  /** Exactly the devices sendMessage would need envelopes for. */
  recipients: Array<GroupRecipientInput>;
  replyTo?: string | null | undefined;
  /** 7 = sender key (SenderKeyMessage) */
  type: number;
};

export type SendMessageInput = {
  /** Encrypted attachments uploaded with POST /attachments (by the sender), bound to this message in the same transaction. Their keys and digests travel inside the envelopes. */
  attachmentIds?: Array<string> | null | undefined;
  /** Unique per sending device (1-64 chars): a retry with the same id stores nothing new. */
  clientMessageId: string;
  contentType: ContentType;
  conversationId: string;
  envelopes: Array<EnvelopeInput>;
  /** Seconds until the message disappears (default: the conversation timer). */
  expiresIn?: number | null | undefined;
  replyTo?: string | null | undefined;
};

/** A signed prekey (EC or Kyber): signature = XEdDSA by the device's identity key over publicKey. */
export type SignedPreKeyInput = {
  keyId: number;
  /** EC: 0x05 || 32 bytes; Kyber: 0x08 || 1568 bytes */
  publicKey: string;
  /** 64 bytes */
  signature: string;
};

export type TrustEventKind =
  | 'BLOCKED'
  | 'DISCOVERABLE'
  | 'MESSAGE_REQUEST'
  | 'UNBLOCKED';

/** Every part is optional; a device needs a signed prekey before others can fetch its bundle. All keys and signatures are checked before anything is stored: one bad key refuses the whole upload. */
export type UploadPreKeysInput = {
  /** Replaces the last-resort Kyber key; the previous one stays stored (not handed out) for KEY_ROTATION_GRACE_SECONDS. */
  lastResortKyberPreKey?: SignedPreKeyInput | null | undefined;
  /** At most 100; added to the stock (at most 1000 stored). */
  oneTimeKyberPreKeys?: Array<SignedPreKeyInput> | null | undefined;
  /** At most 100; added to the stock (at most 1000 stored). */
  oneTimePreKeys?: Array<PreKeyInput> | null | undefined;
  /** Replaces the signed prekey; the previous one stays stored (not handed out) for KEY_ROTATION_GRACE_SECONDS. */
  signedPreKey?: SignedPreKeyInput | null | undefined;
};

export type DeviceFieldsFragment = { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null };

export type CredentialsFieldsFragment = { deviceCredential: string, accessToken: string, accessTokenExpiresAt: string, user: { id: string, username: string, displayName: string }, device: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } };

export type RegisterMutationVariables = Exact<{
  input: RegisterInput;
}>;


export type RegisterMutation = { register:
    | { __typename: 'DeviceCredentials', deviceCredential: string, accessToken: string, accessTokenExpiresAt: string, user: { id: string, username: string, displayName: string }, device: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } }
    | { __typename: 'DeviceLimitError', code: string, message: string, max: number }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string, field: string }
    | { __typename: 'InvalidKeyError', code: string, message: string, field: string }
    | { __typename: 'RateLimitedError', code: string, message: string }
    | { __typename: 'ServerBusyError', code: string, message: string }
    | { __typename: 'UsernameTakenError', code: string, message: string, username: string }
   };

export type LinkDeviceMutationVariables = Exact<{
  code: string;
  device: NewDeviceInput;
}>;


export type LinkDeviceMutation = { linkDevice:
    | { __typename: 'DeviceCredentials', deviceCredential: string, accessToken: string, accessTokenExpiresAt: string, user: { id: string, username: string, displayName: string }, device: { id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null } }
    | { __typename: 'DeviceLimitError', code: string, message: string, max: number }
    | { __typename: 'InvalidInputError', code: string, message: string, field: string }
    | { __typename: 'InvalidKeyError', code: string, message: string, field: string }
    | { __typename: 'InvalidLinkCodeError', code: string, message: string }
    | { __typename: 'RateLimitedError', code: string, message: string }
    | { __typename: 'ServerBusyError', code: string, message: string }
   };

export type CreateAccessTokenMutationVariables = Exact<{
  credential: string;
}>;


export type CreateAccessTokenMutation = { createAccessToken:
    | { __typename: 'AccessToken', token: string, expiresAt: string }
    | { __typename: 'InvalidCredentialsError', code: string, message: string }
    | { __typename: 'RateLimitedError', code: string, message: string }
    | { __typename: 'ServerBusyError', code: string, message: string }
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
    | { __typename: 'UserPage', items: Array<{ id: string, username: string, displayName: string, avatarUrl: string | null }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
   };

export type MyDevicesChangedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type MyDevicesChangedSubscription = { myDevicesChanged: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> };

export type CallFieldsFragment = { id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> };

export type StartCallMutationVariables = Exact<{
  conversationId: string;
  media: CallMedia;
}>;


export type StartCallMutation = { startCall:
    | { __typename: 'Call', id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type AcceptCallMutationVariables = Exact<{
  callId: string;
}>;


export type AcceptCallMutation = { acceptCall:
    | { __typename: 'Call', id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }
    | { __typename: 'IllegalCallTransitionError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type DeclineCallMutationVariables = Exact<{
  callId: string;
}>;


export type DeclineCallMutation = { declineCall:
    | { __typename: 'Call', id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }
    | { __typename: 'IllegalCallTransitionError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type EndCallMutationVariables = Exact<{
  callId: string;
}>;


export type EndCallMutation = { endCall:
    | { __typename: 'Call', id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }
    | { __typename: 'IllegalCallTransitionError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type CancelCallMutationVariables = Exact<{
  callId: string;
}>;


export type CancelCallMutation = { cancelCall:
    | { __typename: 'Call', id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }
    | { __typename: 'IllegalCallTransitionError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type CallQueryVariables = Exact<{
  id: string;
}>;


export type CallQuery = { call:
    | { __typename: 'Call', id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type CallHistoryQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CallHistoryQuery = { callHistory:
    | { __typename: 'CallPage', items: Array<{ id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
    | { __typename: 'InvalidInputError', code: string, message: string }
   };

export type SendCallSignalMutationVariables = Exact<{
  callId: string;
  envelopes: Array<CallSignalInput> | CallSignalInput;
}>;


export type SendCallSignalMutation = { sendCallSignal:
    | { __typename: 'CallSignalTargetError', code: string, message: string, deviceIds: Array<string> }
    | { __typename: 'CallSignalsSent', relayed: number }
    | { __typename: 'IllegalCallTransitionError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type CallEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type CallEventsSubscription = { callEvents: { kind: CallEventKind, callId: string, actorUserId: string | null, call: { id: string, conversationId: string, media: CallMedia, status: CallStatus, direction: CallDirection, missed: boolean, viewerState: CallParticipantState, callerUserId: string, callerDeviceId: string, startedAt: string, answeredAt: string | null, endedAt: string | null, durationSeconds: number | null, caller: { id: string, username: string, displayName: string }, participants: Array<{ userId: string, state: CallParticipantState, deviceId: string | null, joinedAt: string | null, leftAt: string | null }> } } };

export type CallSignalsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type CallSignalsSubscription = { callSignals: { callId: string, fromUserId: string, fromDevice: string, fromDeviceId: number, type: number, ciphertext: string } };

export type ConversationFieldsFragment = { id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> };

export type CreateDirectConversationMutationVariables = Exact<{
  userId: string;
}>;


export type CreateDirectConversationMutation = { createDirectConversation:
    | { __typename: 'Conversation', id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type CreateGroupMutationVariables = Exact<{
  input: CreateGroupInput;
}>;


export type CreateGroupMutation = { createGroup:
    | { __typename: 'Conversation', id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type ConversationQueryVariables = Exact<{
  id: string;
}>;


export type ConversationQuery = { conversation:
    | { __typename: 'Conversation', id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type ConversationsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConversationsQuery = { conversations:
    | { __typename: 'ConversationPage', items: Array<{ id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
    | { __typename: 'InvalidInputError', code: string, message: string }
   };

export type SetDisappearingTimerMutationVariables = Exact<{
  conversationId: string;
  seconds?: number | null | undefined;
}>;


export type SetDisappearingTimerMutation = { setDisappearingTimer:
    | { __typename: 'Conversation', id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type AddGroupMembersMutationVariables = Exact<{
  conversationId: string;
  userIds: Array<string> | string;
}>;


export type AddGroupMembersMutation = { addGroupMembers:
    | { __typename: 'Conversation', id: string, kind: ConversationKind, name: string | null, avatarUrl: string | null, createdAt: string, lastMessageAt: string | null, lastActivityAt: string, unreadCount: number, muted: boolean, disappearingSeconds: number | null, messageRequest: boolean, participants: Array<{ userId: string, user: { id: string, username: string, displayName: string, avatarUrl: string | null, devices: Array<{ id: string, userId: string, deviceId: number, name: string, registrationId: number, identityKey: string, createdAt: string, lastSeenAt: string | null }> } }> }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type RemoveGroupMemberMutationVariables = Exact<{
  conversationId: string;
  userId: string;
}>;


export type RemoveGroupMemberMutation = { removeGroupMember:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'MemberRemoved' }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type PreKeyCountsFieldsFragment = { oneTime: number, kyberOneTime: number, signedPreKeyId: number | null, lastResortKyberPreKeyId: number | null };

export type PreKeyCountsQueryVariables = Exact<{ [key: string]: never; }>;


export type PreKeyCountsQuery = { preKeyCounts: { oneTime: number, kyberOneTime: number, signedPreKeyId: number | null, lastResortKyberPreKeyId: number | null } };

export type UploadPreKeysMutationVariables = Exact<{
  input: UploadPreKeysInput;
}>;


export type UploadPreKeysMutation = { uploadPreKeys:
    | { __typename: 'DuplicateKeyIdError', code: string, message: string, field: string, keyId: number }
    | { __typename: 'InvalidInputError', code: string, message: string, field: string }
    | { __typename: 'InvalidKeyError', code: string, message: string, field: string }
    | { __typename: 'InvalidSignatureError', code: string, message: string, field: string, keyId: number }
    | { __typename: 'PreKeyCounts', oneTime: number, kyberOneTime: number, signedPreKeyId: number | null, lastResortKyberPreKeyId: number | null }
   };

export type PreKeyBundlesMutationVariables = Exact<{
  userId: string;
  deviceIds?: Array<number> | number | null | undefined;
}>;


export type PreKeyBundlesMutation = { preKeyBundles:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'PreKeyBundles', userId: string, bundles: Array<{ userId: string, deviceId: number, device: string, registrationId: number, identityKey: string, signedPreKey: { keyId: number, publicKey: string, signature: string }, preKey: { keyId: number, publicKey: string } | null, kyberPreKey: { keyId: number, publicKey: string, signature: string, lastResort: boolean } | null }> }
    | { __typename: 'RateLimitedError', code: string, message: string, retryAfterSeconds: number }
   };

export type PreKeysLowSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type PreKeysLowSubscription = { preKeysLow: { oneTime: number, kyberOneTime: number } };

export type MessageFieldsFragment = { id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> };

export type DeviceRefFieldsFragment = { id: string, userId: string | null, deviceId: number | null, registrationId: number | null };

export type EnvelopeFieldsFragment = { id: string, messageId: string, conversationId: string, senderUserId: string, senderDeviceId: number, senderDeviceUuid: string, type: number, ciphertext: string, headerType: number | null, header: string | null, createdAt: string, request: boolean, reportingToken: string | null };

type SendRefusalFields_CallSignalTargetError_Fragment = { code: string, message: string };

type SendRefusalFields_DeviceLimitError_Fragment = { code: string, message: string };

type SendRefusalFields_DuplicateKeyIdError_Fragment = { code: string, message: string };

type SendRefusalFields_ForbiddenError_Fragment = { code: string, message: string };

type SendRefusalFields_IllegalCallTransitionError_Fragment = { code: string, message: string };

type SendRefusalFields_InvalidCredentialsError_Fragment = { code: string, message: string };

type SendRefusalFields_InvalidInputError_Fragment = { code: string, message: string };

type SendRefusalFields_InvalidKeyError_Fragment = { code: string, message: string };

type SendRefusalFields_InvalidLinkCodeError_Fragment = { code: string, message: string };

type SendRefusalFields_InvalidReportingTokenError_Fragment = { code: string, message: string };

type SendRefusalFields_InvalidSignatureError_Fragment = { code: string, message: string };

type SendRefusalFields_LimitExceededError_Fragment = { field: string, max: number, actual: number, code: string, message: string };

type SendRefusalFields_MismatchedDevicesError_Fragment = { code: string, message: string, missing: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }>, extra: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }> };

type SendRefusalFields_NotFoundError_Fragment = { code: string, message: string };

type SendRefusalFields_NotOperatorError_Fragment = { code: string, message: string };

type SendRefusalFields_PushKindUnavailableError_Fragment = { code: string, message: string };

type SendRefusalFields_RateLimitedError_Fragment = { retryAfterSeconds: number, code: string, message: string };

type SendRefusalFields_ServerBusyError_Fragment = { code: string, message: string };

type SendRefusalFields_StaleDevicesError_Fragment = { code: string, message: string, stale: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }> };

type SendRefusalFields_UsernameTakenError_Fragment = { code: string, message: string };

export type SendRefusalFieldsFragment =
  | SendRefusalFields_CallSignalTargetError_Fragment
  | SendRefusalFields_DeviceLimitError_Fragment
  | SendRefusalFields_DuplicateKeyIdError_Fragment
  | SendRefusalFields_ForbiddenError_Fragment
  | SendRefusalFields_IllegalCallTransitionError_Fragment
  | SendRefusalFields_InvalidCredentialsError_Fragment
  | SendRefusalFields_InvalidInputError_Fragment
  | SendRefusalFields_InvalidKeyError_Fragment
  | SendRefusalFields_InvalidLinkCodeError_Fragment
  | SendRefusalFields_InvalidReportingTokenError_Fragment
  | SendRefusalFields_InvalidSignatureError_Fragment
  | SendRefusalFields_LimitExceededError_Fragment
  | SendRefusalFields_MismatchedDevicesError_Fragment
  | SendRefusalFields_NotFoundError_Fragment
  | SendRefusalFields_NotOperatorError_Fragment
  | SendRefusalFields_PushKindUnavailableError_Fragment
  | SendRefusalFields_RateLimitedError_Fragment
  | SendRefusalFields_ServerBusyError_Fragment
  | SendRefusalFields_StaleDevicesError_Fragment
  | SendRefusalFields_UsernameTakenError_Fragment
;

export type SendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type SendMessageMutation = { sendMessage:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'LimitExceededError', field: string, max: number, actual: number, code: string, message: string }
    | { __typename: 'Message', id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> }
    | { __typename: 'MismatchedDevicesError', code: string, message: string, missing: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }>, extra: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }> }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RateLimitedError', retryAfterSeconds: number, code: string, message: string }
    | { __typename: 'StaleDevicesError', code: string, message: string, stale: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }> }
   };

export type SendGroupMessageMutationVariables = Exact<{
  input: SendGroupMessageInput;
}>;


export type SendGroupMessageMutation = { sendGroupMessage:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'LimitExceededError', field: string, max: number, actual: number, code: string, message: string }
    | { __typename: 'Message', id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> }
    | { __typename: 'MismatchedDevicesError', code: string, message: string, missing: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }>, extra: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }> }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RateLimitedError', retryAfterSeconds: number, code: string, message: string }
    | { __typename: 'StaleDevicesError', code: string, message: string, stale: Array<{ id: string, userId: string | null, deviceId: number | null, registrationId: number | null }> }
   };

export type PendingEnvelopesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type PendingEnvelopesQuery = { pendingEnvelopes:
    | { __typename: 'EnvelopePage', items: Array<{ id: string, messageId: string, conversationId: string, senderUserId: string, senderDeviceId: number, senderDeviceUuid: string, type: number, ciphertext: string, headerType: number | null, header: string | null, createdAt: string, request: boolean, reportingToken: string | null }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
    | { __typename: 'InvalidInputError', code: string, message: string }
   };

export type AcknowledgeEnvelopesMutationVariables = Exact<{
  ids: Array<string> | string;
}>;


export type AcknowledgeEnvelopesMutation = { acknowledgeEnvelopes:
    | { __typename: 'AcknowledgeResult', acknowledged: Array<string> }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'LimitExceededError', code: string, message: string }
   };

export type MessageQueryVariables = Exact<{
  id: string;
}>;


export type MessageQuery = { message:
    | { __typename: 'Message', id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type MarkReadMutationVariables = Exact<{
  conversationId: string;
  upToMessageId: string;
}>;


export type MarkReadMutation = { markRead:
    | { __typename: 'Conversation', id: string, unreadCount: number }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type DeleteMessageMutationVariables = Exact<{
  messageId: string;
}>;


export type DeleteMessageMutation = { deleteMessage:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'Message', id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type SetReactionMutationVariables = Exact<{
  messageId: string;
  emoji?: string | null | undefined;
}>;


export type SetReactionMutation = { setReaction:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'Message', id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type ConversationMessagesQueryVariables = Exact<{
  conversationId: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConversationMessagesQuery = { messages:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'MessagePage', items: Array<{ id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type PushTargetFieldsFragment = { id: string, kind: PushKind, includeEnvelopeId: boolean, createdAt: string, updatedAt: string };

export type RegisterPushTargetMutationVariables = Exact<{
  input: RegisterPushTargetInput;
}>;


export type RegisterPushTargetMutation = { registerPushTarget:
    | { __typename: 'InvalidInputError', code: string, message: string, field: string }
    | { __typename: 'InvalidKeyError', code: string, message: string, field: string }
    | { __typename: 'PushKindUnavailableError', code: string, message: string, kind: PushKind, available: Array<PushKind> }
    | { __typename: 'PushTarget', id: string, kind: PushKind, includeEnvelopeId: boolean, createdAt: string, updatedAt: string }
   };

export type RemovePushTargetMutationVariables = Exact<{
  kind: PushKind;
}>;


export type RemovePushTargetMutation = { removePushTarget: boolean };

export type PushConfigQueryVariables = Exact<{ [key: string]: never; }>;


export type PushConfigQuery = { pushConfig: { vapidPublicKey: string | null, kinds: Array<PushKind> } };

export type MyPushTargetsQueryVariables = Exact<{ [key: string]: never; }>;


export type MyPushTargetsQuery = { me: { id: string, devices: Array<{ id: string, pushTargets: Array<{ id: string, kind: PushKind, includeEnvelopeId: boolean, createdAt: string, updatedAt: string }> | null }> } };

export type InboxSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type InboxSubscription = { inbox:
    | { __typename: 'Envelope', id: string, messageId: string, conversationId: string, senderUserId: string, senderDeviceId: number, senderDeviceUuid: string, type: number, ciphertext: string, headerType: number | null, header: string | null, createdAt: string, request: boolean, reportingToken: string | null }
    | { __typename: 'InboxDrained', drained: boolean }
    | { __typename: 'InboxEnded', reason: InboxEndReason }
   };

export type ConversationEventsSubscriptionVariables = Exact<{
  conversationId: string;
}>;


export type ConversationEventsSubscription = { conversationEvents: { kind: ConversationEventKind, conversationId: string, userId: string | null, messageId: string | null, typing: boolean | null, message: { id: string, conversationId: string, senderUserId: string, senderDeviceId: number, clientMessageId: string, contentType: ContentType, replyToId: string | null, expiresAt: string | null, createdAt: string, deleted: boolean, status: MessageStatus | null, receipts: Array<{ userId: string, deliveredAt: string | null, readAt: string | null }>, reactions: Array<{ userId: string, emoji: string, createdAt: string }> } | null } };

export type SetTypingMutationVariables = Exact<{
  conversationId: string;
  typing: boolean;
}>;


export type SetTypingMutation = { setTyping: boolean };

export type PresenceQueryVariables = Exact<{
  userIds: Array<string> | string;
}>;


export type PresenceQuery = { presence: Array<{ userId: string, online: boolean, lastSeenAt: string | null }> };

export type PresenceChangesSubscriptionVariables = Exact<{
  userIds: Array<string> | string;
}>;


export type PresenceChangesSubscription = { presence: { userId: string, online: boolean, lastSeenAt: string | null } };

export type UserFieldsFragment = { id: string, username: string, displayName: string, avatarUrl: string | null };

export type TrustEventFieldsFragment = { kind: TrustEventKind, userId: string | null, conversationId: string | null, action: MessageRequestAction | null, discoverable: boolean | null };

export type BlockListFieldsFragment = { users: Array<{ userId: string, blockedAt: string }> };

export type BlockedUsersQueryVariables = Exact<{ [key: string]: never; }>;


export type BlockedUsersQuery = { blockedUsers: Array<{ userId: string, blockedAt: string }> };

export type BlockUserMutationVariables = Exact<{
  userId: string;
}>;


export type BlockUserMutation = { blockUser:
    | { __typename: 'BlockList', users: Array<{ userId: string, blockedAt: string }> }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'LimitExceededError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type UnblockUserMutationVariables = Exact<{
  userId: string;
}>;


export type UnblockUserMutation = { unblockUser:
    | { __typename: 'BlockList', users: Array<{ userId: string, blockedAt: string }> }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type RespondToMessageRequestMutationVariables = Exact<{
  conversationId: string;
  action: MessageRequestAction;
  reportingTokens?: Array<string> | string | null | undefined;
}>;


export type RespondToMessageRequestMutation = { respondToMessageRequest:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'InvalidReportingTokenError', code: string, message: string }
    | { __typename: 'LimitExceededError', code: string, message: string }
    | { __typename: 'MessageRequestResponse', conversationId: string, action: MessageRequestAction, reported: number, blockedUserId: string | null, conversation: { id: string, messageRequest: boolean, unreadCount: number } | null }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type ReportSpamMutationVariables = Exact<{
  reportingTokens: Array<string> | string;
}>;


export type ReportSpamMutation = { reportSpam:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'InvalidReportingTokenError', code: string, message: string }
    | { __typename: 'LimitExceededError', code: string, message: string }
    | { __typename: 'SpamReported', reported: number }
   };

export type SpamReportsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  senderUserId?: string | null | undefined;
}>;


export type SpamReportsQuery = { spamReports:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'NotOperatorError', code: string, message: string }
    | { __typename: 'SpamReportPage', items: Array<{ id: string, reporterUserId: string, senderUserId: string, messageId: string, conversationId: string | null, messageSentAt: string | null, reportedAt: string }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
   };

export type UserByUsernameQueryVariables = Exact<{
  username: string;
}>;


export type UserByUsernameQuery = { userByUsername:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'RateLimitedError', code: string, message: string, retryAfterSeconds: number }
    | { __typename: 'User', id: string, username: string, displayName: string, avatarUrl: string | null }
   | null };

export type ContactsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ContactsQuery = { contacts:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'UserPage', items: Array<{ id: string, username: string, displayName: string, avatarUrl: string | null }>, pageInfo: { endCursor: string | null, hasNextPage: boolean } }
   };

export type SetDiscoverableMutationVariables = Exact<{
  discoverable: boolean;
}>;


export type SetDiscoverableMutation = { setDiscoverable: { id: string, discoverable: boolean | null } };

export type TrustEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type TrustEventsSubscription = { trustEvents: { kind: TrustEventKind, userId: string | null, conversationId: string | null, action: MessageRequestAction | null, discoverable: boolean | null } };

export type ReportDecryptionErrorMutationVariables = Exact<{
  envelopeId: string;
  content: string;
}>;


export type ReportDecryptionErrorMutation = { reportDecryptionError:
    | { __typename: 'DecryptionErrorReported', envelopeId: string, messageId: string }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'LimitExceededError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
   };

export type ResendMessageMutationVariables = Exact<{
  messageId: string;
  envelope: EnvelopeInput;
}>;


export type ResendMessageMutation = { resendMessage:
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'LimitExceededError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'ResendResult', resent: boolean }
    | { __typename: 'StaleDevicesError', code: string, message: string }
   };

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
  deviceCredential
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
export const CallFieldsFragmentDoc = new TypedDocumentString(`
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}
    `, {"fragmentName":"CallFields"}) as unknown as TypedDocumentString<CallFieldsFragment, unknown>;
export const ConversationFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
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
}`, {"fragmentName":"ConversationFields"}) as unknown as TypedDocumentString<ConversationFieldsFragment, unknown>;
export const PreKeyCountsFieldsFragmentDoc = new TypedDocumentString(`
    fragment PreKeyCountsFields on PreKeyCounts {
  oneTime
  kyberOneTime
  signedPreKeyId
  lastResortKyberPreKeyId
}
    `, {"fragmentName":"PreKeyCountsFields"}) as unknown as TypedDocumentString<PreKeyCountsFieldsFragment, unknown>;
export const MessageFieldsFragmentDoc = new TypedDocumentString(`
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}
    `, {"fragmentName":"MessageFields"}) as unknown as TypedDocumentString<MessageFieldsFragment, unknown>;
export const EnvelopeFieldsFragmentDoc = new TypedDocumentString(`
    fragment EnvelopeFields on Envelope {
  id
  messageId
  conversationId
  senderUserId
  senderDeviceId
  senderDeviceUuid
  type
  ciphertext
  headerType
  header
  createdAt
  request
  reportingToken
}
    `, {"fragmentName":"EnvelopeFields"}) as unknown as TypedDocumentString<EnvelopeFieldsFragment, unknown>;
export const DeviceRefFieldsFragmentDoc = new TypedDocumentString(`
    fragment DeviceRefFields on DeviceRef {
  id
  userId
  deviceId
  registrationId
}
    `, {"fragmentName":"DeviceRefFields"}) as unknown as TypedDocumentString<DeviceRefFieldsFragment, unknown>;
export const SendRefusalFieldsFragmentDoc = new TypedDocumentString(`
    fragment SendRefusalFields on Error {
  code
  message
  ... on MismatchedDevicesError {
    missing {
      ...DeviceRefFields
    }
    extra {
      ...DeviceRefFields
    }
  }
  ... on StaleDevicesError {
    stale {
      ...DeviceRefFields
    }
  }
  ... on RateLimitedError {
    retryAfterSeconds
  }
  ... on LimitExceededError {
    field
    max
    actual
  }
}
    fragment DeviceRefFields on DeviceRef {
  id
  userId
  deviceId
  registrationId
}`, {"fragmentName":"SendRefusalFields"}) as unknown as TypedDocumentString<SendRefusalFieldsFragment, unknown>;
export const PushTargetFieldsFragmentDoc = new TypedDocumentString(`
    fragment PushTargetFields on PushTarget {
  id
  kind
  includeEnvelopeId
  createdAt
  updatedAt
}
    `, {"fragmentName":"PushTargetFields"}) as unknown as TypedDocumentString<PushTargetFieldsFragment, unknown>;
export const UserFieldsFragmentDoc = new TypedDocumentString(`
    fragment UserFields on User {
  id
  username
  displayName
  avatarUrl
}
    `, {"fragmentName":"UserFields"}) as unknown as TypedDocumentString<UserFieldsFragment, unknown>;
export const TrustEventFieldsFragmentDoc = new TypedDocumentString(`
    fragment TrustEventFields on TrustEvent {
  kind
  userId
  conversationId
  action
  discoverable
}
    `, {"fragmentName":"TrustEventFields"}) as unknown as TypedDocumentString<TrustEventFieldsFragment, unknown>;
export const BlockListFieldsFragmentDoc = new TypedDocumentString(`
    fragment BlockListFields on BlockList {
  users {
    userId
    blockedAt
  }
}
    `, {"fragmentName":"BlockListFields"}) as unknown as TypedDocumentString<BlockListFieldsFragment, unknown>;
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
  deviceCredential
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
  deviceCredential
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
    mutation CreateAccessToken($credential: String!) {
  createAccessToken(credential: $credential) {
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
        ...UserFields
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
    fragment UserFields on User {
  id
  username
  displayName
  avatarUrl
}`) as unknown as TypedDocumentString<SearchUsersQuery, SearchUsersQueryVariables>;
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
export const StartCallDocument = new TypedDocumentString(`
    mutation StartCall($conversationId: ID!, $media: CallMedia!) {
  startCall(conversationId: $conversationId, media: $media) {
    __typename
    ... on Call {
      ...CallFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<StartCallMutation, StartCallMutationVariables>;
export const AcceptCallDocument = new TypedDocumentString(`
    mutation AcceptCall($callId: ID!) {
  acceptCall(callId: $callId) {
    __typename
    ... on Call {
      ...CallFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<AcceptCallMutation, AcceptCallMutationVariables>;
export const DeclineCallDocument = new TypedDocumentString(`
    mutation DeclineCall($callId: ID!) {
  declineCall(callId: $callId) {
    __typename
    ... on Call {
      ...CallFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<DeclineCallMutation, DeclineCallMutationVariables>;
export const EndCallDocument = new TypedDocumentString(`
    mutation EndCall($callId: ID!) {
  endCall(callId: $callId) {
    __typename
    ... on Call {
      ...CallFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<EndCallMutation, EndCallMutationVariables>;
export const CancelCallDocument = new TypedDocumentString(`
    mutation CancelCall($callId: ID!) {
  cancelCall(callId: $callId) {
    __typename
    ... on Call {
      ...CallFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<CancelCallMutation, CancelCallMutationVariables>;
export const CallDocument = new TypedDocumentString(`
    query Call($id: ID!) {
  call(id: $id) {
    __typename
    ... on Call {
      ...CallFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<CallQuery, CallQueryVariables>;
export const CallHistoryDocument = new TypedDocumentString(`
    query CallHistory($first: Int, $after: String) {
  callHistory(first: $first, after: $after) {
    __typename
    ... on CallPage {
      items {
        ...CallFields
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
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<CallHistoryQuery, CallHistoryQueryVariables>;
export const SendCallSignalDocument = new TypedDocumentString(`
    mutation SendCallSignal($callId: ID!, $envelopes: [CallSignalInput!]!) {
  sendCallSignal(callId: $callId, envelopes: $envelopes) {
    __typename
    ... on CallSignalsSent {
      relayed
    }
    ... on Error {
      code
      message
    }
    ... on CallSignalTargetError {
      deviceIds
    }
  }
}
    `) as unknown as TypedDocumentString<SendCallSignalMutation, SendCallSignalMutationVariables>;
export const CallEventsDocument = new TypedDocumentString(`
    subscription CallEvents {
  callEvents {
    kind
    callId
    actorUserId
    call {
      ...CallFields
    }
  }
}
    fragment CallFields on Call {
  id
  conversationId
  media
  status
  direction
  missed
  viewerState
  callerUserId
  callerDeviceId
  caller {
    id
    username
    displayName
  }
  startedAt
  answeredAt
  endedAt
  durationSeconds
  participants {
    userId
    state
    deviceId
    joinedAt
    leftAt
  }
}`) as unknown as TypedDocumentString<CallEventsSubscription, CallEventsSubscriptionVariables>;
export const CallSignalsDocument = new TypedDocumentString(`
    subscription CallSignals {
  callSignals {
    callId
    fromUserId
    fromDevice
    fromDeviceId
    type
    ciphertext
  }
}
    `) as unknown as TypedDocumentString<CallSignalsSubscription, CallSignalsSubscriptionVariables>;
export const CreateDirectConversationDocument = new TypedDocumentString(`
    mutation CreateDirectConversation($userId: ID!) {
  createDirectConversation(userId: $userId) {
    __typename
    ... on Conversation {
      ...ConversationFields
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
}
fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
    }
  }
}`) as unknown as TypedDocumentString<CreateDirectConversationMutation, CreateDirectConversationMutationVariables>;
export const CreateGroupDocument = new TypedDocumentString(`
    mutation CreateGroup($input: CreateGroupInput!) {
  createGroup(input: $input) {
    __typename
    ... on Conversation {
      ...ConversationFields
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
}
fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
    }
  }
}`) as unknown as TypedDocumentString<CreateGroupMutation, CreateGroupMutationVariables>;
export const ConversationDocument = new TypedDocumentString(`
    query Conversation($id: ID!) {
  conversation(id: $id) {
    __typename
    ... on Conversation {
      ...ConversationFields
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
}
fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
    }
  }
}`) as unknown as TypedDocumentString<ConversationQuery, ConversationQueryVariables>;
export const ConversationsDocument = new TypedDocumentString(`
    query Conversations($first: Int, $after: String) {
  conversations(first: $first, after: $after) {
    __typename
    ... on ConversationPage {
      items {
        ...ConversationFields
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
fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
    }
  }
}`) as unknown as TypedDocumentString<ConversationsQuery, ConversationsQueryVariables>;
export const SetDisappearingTimerDocument = new TypedDocumentString(`
    mutation SetDisappearingTimer($conversationId: ID!, $seconds: Int) {
  setDisappearingTimer(conversationId: $conversationId, seconds: $seconds) {
    __typename
    ... on Conversation {
      ...ConversationFields
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
}
fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
    }
  }
}`) as unknown as TypedDocumentString<SetDisappearingTimerMutation, SetDisappearingTimerMutationVariables>;
export const AddGroupMembersDocument = new TypedDocumentString(`
    mutation AddGroupMembers($conversationId: ID!, $userIds: [ID!]!) {
  addGroupMembers(conversationId: $conversationId, userIds: $userIds) {
    __typename
    ... on Conversation {
      ...ConversationFields
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
}
fragment ConversationFields on Conversation {
  id
  kind
  name
  avatarUrl
  createdAt
  lastMessageAt
  lastActivityAt
  unreadCount
  muted
  disappearingSeconds
  messageRequest
  participants {
    userId
    user {
      id
      username
      displayName
      avatarUrl
      devices {
        ...DeviceFields
      }
    }
  }
}`) as unknown as TypedDocumentString<AddGroupMembersMutation, AddGroupMembersMutationVariables>;
export const RemoveGroupMemberDocument = new TypedDocumentString(`
    mutation RemoveGroupMember($conversationId: ID!, $userId: ID!) {
  removeGroupMember(conversationId: $conversationId, userId: $userId) {
    __typename
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RemoveGroupMemberMutation, RemoveGroupMemberMutationVariables>;
export const PreKeyCountsDocument = new TypedDocumentString(`
    query PreKeyCounts {
  preKeyCounts {
    ...PreKeyCountsFields
  }
}
    fragment PreKeyCountsFields on PreKeyCounts {
  oneTime
  kyberOneTime
  signedPreKeyId
  lastResortKyberPreKeyId
}`) as unknown as TypedDocumentString<PreKeyCountsQuery, PreKeyCountsQueryVariables>;
export const UploadPreKeysDocument = new TypedDocumentString(`
    mutation UploadPreKeys($input: UploadPreKeysInput!) {
  uploadPreKeys(input: $input) {
    __typename
    ... on PreKeyCounts {
      ...PreKeyCountsFields
    }
    ... on Error {
      code
      message
    }
    ... on InvalidSignatureError {
      field
      keyId
    }
    ... on DuplicateKeyIdError {
      field
      keyId
    }
    ... on InvalidKeyError {
      field
    }
    ... on InvalidInputError {
      field
    }
  }
}
    fragment PreKeyCountsFields on PreKeyCounts {
  oneTime
  kyberOneTime
  signedPreKeyId
  lastResortKyberPreKeyId
}`) as unknown as TypedDocumentString<UploadPreKeysMutation, UploadPreKeysMutationVariables>;
export const PreKeyBundlesDocument = new TypedDocumentString(`
    mutation PreKeyBundles($userId: ID!, $deviceIds: [Int!]) {
  preKeyBundles(userId: $userId, deviceIds: $deviceIds) {
    __typename
    ... on PreKeyBundles {
      userId
      bundles {
        userId
        deviceId
        device
        registrationId
        identityKey
        signedPreKey {
          keyId
          publicKey
          signature
        }
        preKey {
          keyId
          publicKey
        }
        kyberPreKey {
          keyId
          publicKey
          signature
          lastResort
        }
      }
    }
    ... on Error {
      code
      message
    }
    ... on RateLimitedError {
      retryAfterSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<PreKeyBundlesMutation, PreKeyBundlesMutationVariables>;
export const PreKeysLowDocument = new TypedDocumentString(`
    subscription PreKeysLow {
  preKeysLow {
    oneTime
    kyberOneTime
  }
}
    `) as unknown as TypedDocumentString<PreKeysLowSubscription, PreKeysLowSubscriptionVariables>;
export const SendMessageDocument = new TypedDocumentString(`
    mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on Message {
      ...MessageFields
    }
    ...SendRefusalFields
  }
}
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}
fragment DeviceRefFields on DeviceRef {
  id
  userId
  deviceId
  registrationId
}
fragment SendRefusalFields on Error {
  code
  message
  ... on MismatchedDevicesError {
    missing {
      ...DeviceRefFields
    }
    extra {
      ...DeviceRefFields
    }
  }
  ... on StaleDevicesError {
    stale {
      ...DeviceRefFields
    }
  }
  ... on RateLimitedError {
    retryAfterSeconds
  }
  ... on LimitExceededError {
    field
    max
    actual
  }
}`) as unknown as TypedDocumentString<SendMessageMutation, SendMessageMutationVariables>;
export const SendGroupMessageDocument = new TypedDocumentString(`
    mutation SendGroupMessage($input: SendGroupMessageInput!) {
  sendGroupMessage(input: $input) {
    __typename
    ... on Message {
      ...MessageFields
    }
    ...SendRefusalFields
  }
}
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}
fragment DeviceRefFields on DeviceRef {
  id
  userId
  deviceId
  registrationId
}
fragment SendRefusalFields on Error {
  code
  message
  ... on MismatchedDevicesError {
    missing {
      ...DeviceRefFields
    }
    extra {
      ...DeviceRefFields
    }
  }
  ... on StaleDevicesError {
    stale {
      ...DeviceRefFields
    }
  }
  ... on RateLimitedError {
    retryAfterSeconds
  }
  ... on LimitExceededError {
    field
    max
    actual
  }
}`) as unknown as TypedDocumentString<SendGroupMessageMutation, SendGroupMessageMutationVariables>;
export const PendingEnvelopesDocument = new TypedDocumentString(`
    query PendingEnvelopes($first: Int, $after: ID) {
  pendingEnvelopes(first: $first, after: $after) {
    __typename
    ... on EnvelopePage {
      items {
        ...EnvelopeFields
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
    fragment EnvelopeFields on Envelope {
  id
  messageId
  conversationId
  senderUserId
  senderDeviceId
  senderDeviceUuid
  type
  ciphertext
  headerType
  header
  createdAt
  request
  reportingToken
}`) as unknown as TypedDocumentString<PendingEnvelopesQuery, PendingEnvelopesQueryVariables>;
export const AcknowledgeEnvelopesDocument = new TypedDocumentString(`
    mutation AcknowledgeEnvelopes($ids: [ID!]!) {
  acknowledgeEnvelopes(ids: $ids) {
    __typename
    ... on AcknowledgeResult {
      acknowledged
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AcknowledgeEnvelopesMutation, AcknowledgeEnvelopesMutationVariables>;
export const MessageDocument = new TypedDocumentString(`
    query Message($id: ID!) {
  message(id: $id) {
    __typename
    ... on Message {
      ...MessageFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}`) as unknown as TypedDocumentString<MessageQuery, MessageQueryVariables>;
export const MarkReadDocument = new TypedDocumentString(`
    mutation MarkRead($conversationId: ID!, $upToMessageId: ID!) {
  markRead(conversationId: $conversationId, upToMessageId: $upToMessageId) {
    __typename
    ... on Conversation {
      id
      unreadCount
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<MarkReadMutation, MarkReadMutationVariables>;
export const DeleteMessageDocument = new TypedDocumentString(`
    mutation DeleteMessage($messageId: ID!) {
  deleteMessage(messageId: $messageId) {
    __typename
    ... on Message {
      ...MessageFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}`) as unknown as TypedDocumentString<DeleteMessageMutation, DeleteMessageMutationVariables>;
export const SetReactionDocument = new TypedDocumentString(`
    mutation SetReaction($messageId: ID!, $emoji: String) {
  setReaction(messageId: $messageId, emoji: $emoji) {
    __typename
    ... on Message {
      ...MessageFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}`) as unknown as TypedDocumentString<SetReactionMutation, SetReactionMutationVariables>;
export const ConversationMessagesDocument = new TypedDocumentString(`
    query ConversationMessages($conversationId: ID!, $first: Int, $after: String) {
  messages(conversationId: $conversationId, first: $first, after: $after) {
    __typename
    ... on MessagePage {
      items {
        ...MessageFields
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
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}`) as unknown as TypedDocumentString<ConversationMessagesQuery, ConversationMessagesQueryVariables>;
export const RegisterPushTargetDocument = new TypedDocumentString(`
    mutation RegisterPushTarget($input: RegisterPushTargetInput!) {
  registerPushTarget(input: $input) {
    __typename
    ... on PushTarget {
      ...PushTargetFields
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
    ... on PushKindUnavailableError {
      kind
      available
    }
  }
}
    fragment PushTargetFields on PushTarget {
  id
  kind
  includeEnvelopeId
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<RegisterPushTargetMutation, RegisterPushTargetMutationVariables>;
export const RemovePushTargetDocument = new TypedDocumentString(`
    mutation RemovePushTarget($kind: PushKind!) {
  removePushTarget(kind: $kind)
}
    `) as unknown as TypedDocumentString<RemovePushTargetMutation, RemovePushTargetMutationVariables>;
export const PushConfigDocument = new TypedDocumentString(`
    query PushConfig {
  pushConfig {
    vapidPublicKey
    kinds
  }
}
    `) as unknown as TypedDocumentString<PushConfigQuery, PushConfigQueryVariables>;
export const MyPushTargetsDocument = new TypedDocumentString(`
    query MyPushTargets {
  me {
    id
    devices {
      id
      pushTargets {
        ...PushTargetFields
      }
    }
  }
}
    fragment PushTargetFields on PushTarget {
  id
  kind
  includeEnvelopeId
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<MyPushTargetsQuery, MyPushTargetsQueryVariables>;
export const InboxDocument = new TypedDocumentString(`
    subscription Inbox {
  inbox {
    __typename
    ... on Envelope {
      ...EnvelopeFields
    }
    ... on InboxDrained {
      drained
    }
    ... on InboxEnded {
      reason
    }
  }
}
    fragment EnvelopeFields on Envelope {
  id
  messageId
  conversationId
  senderUserId
  senderDeviceId
  senderDeviceUuid
  type
  ciphertext
  headerType
  header
  createdAt
  request
  reportingToken
}`) as unknown as TypedDocumentString<InboxSubscription, InboxSubscriptionVariables>;
export const ConversationEventsDocument = new TypedDocumentString(`
    subscription ConversationEvents($conversationId: ID!) {
  conversationEvents(conversationId: $conversationId) {
    kind
    conversationId
    userId
    messageId
    typing
    message {
      ...MessageFields
    }
  }
}
    fragment MessageFields on Message {
  id
  conversationId
  senderUserId
  senderDeviceId
  clientMessageId
  contentType
  replyToId
  expiresAt
  createdAt
  deleted
  status
  receipts {
    userId
    deliveredAt
    readAt
  }
  reactions {
    userId
    emoji
    createdAt
  }
}`) as unknown as TypedDocumentString<ConversationEventsSubscription, ConversationEventsSubscriptionVariables>;
export const SetTypingDocument = new TypedDocumentString(`
    mutation SetTyping($conversationId: ID!, $typing: Boolean!) {
  setTyping(conversationId: $conversationId, typing: $typing)
}
    `) as unknown as TypedDocumentString<SetTypingMutation, SetTypingMutationVariables>;
export const PresenceDocument = new TypedDocumentString(`
    query Presence($userIds: [ID!]!) {
  presence(userIds: $userIds) {
    userId
    online
    lastSeenAt
  }
}
    `) as unknown as TypedDocumentString<PresenceQuery, PresenceQueryVariables>;
export const PresenceChangesDocument = new TypedDocumentString(`
    subscription PresenceChanges($userIds: [ID!]!) {
  presence(userIds: $userIds) {
    userId
    online
    lastSeenAt
  }
}
    `) as unknown as TypedDocumentString<PresenceChangesSubscription, PresenceChangesSubscriptionVariables>;
export const BlockedUsersDocument = new TypedDocumentString(`
    query BlockedUsers {
  blockedUsers {
    userId
    blockedAt
  }
}
    `) as unknown as TypedDocumentString<BlockedUsersQuery, BlockedUsersQueryVariables>;
export const BlockUserDocument = new TypedDocumentString(`
    mutation BlockUser($userId: ID!) {
  blockUser(userId: $userId) {
    __typename
    ... on BlockList {
      ...BlockListFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment BlockListFields on BlockList {
  users {
    userId
    blockedAt
  }
}`) as unknown as TypedDocumentString<BlockUserMutation, BlockUserMutationVariables>;
export const UnblockUserDocument = new TypedDocumentString(`
    mutation UnblockUser($userId: ID!) {
  unblockUser(userId: $userId) {
    __typename
    ... on BlockList {
      ...BlockListFields
    }
    ... on Error {
      code
      message
    }
  }
}
    fragment BlockListFields on BlockList {
  users {
    userId
    blockedAt
  }
}`) as unknown as TypedDocumentString<UnblockUserMutation, UnblockUserMutationVariables>;
export const RespondToMessageRequestDocument = new TypedDocumentString(`
    mutation RespondToMessageRequest($conversationId: ID!, $action: MessageRequestAction!, $reportingTokens: [String!]) {
  respondToMessageRequest(
    conversationId: $conversationId
    action: $action
    reportingTokens: $reportingTokens
  ) {
    __typename
    ... on MessageRequestResponse {
      conversationId
      action
      reported
      blockedUserId
      conversation {
        id
        messageRequest
        unreadCount
      }
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RespondToMessageRequestMutation, RespondToMessageRequestMutationVariables>;
export const ReportSpamDocument = new TypedDocumentString(`
    mutation ReportSpam($reportingTokens: [String!]!) {
  reportSpam(reportingTokens: $reportingTokens) {
    __typename
    ... on SpamReported {
      reported
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ReportSpamMutation, ReportSpamMutationVariables>;
export const SpamReportsDocument = new TypedDocumentString(`
    query SpamReports($first: Int, $after: String, $senderUserId: ID) {
  spamReports(first: $first, after: $after, senderUserId: $senderUserId) {
    __typename
    ... on SpamReportPage {
      items {
        id
        reporterUserId
        senderUserId
        messageId
        conversationId
        messageSentAt
        reportedAt
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
    `) as unknown as TypedDocumentString<SpamReportsQuery, SpamReportsQueryVariables>;
export const UserByUsernameDocument = new TypedDocumentString(`
    query UserByUsername($username: String!) {
  userByUsername(username: $username) {
    __typename
    ... on User {
      ...UserFields
    }
    ... on Error {
      code
      message
    }
    ... on RateLimitedError {
      retryAfterSeconds
    }
  }
}
    fragment UserFields on User {
  id
  username
  displayName
  avatarUrl
}`) as unknown as TypedDocumentString<UserByUsernameQuery, UserByUsernameQueryVariables>;
export const ContactsDocument = new TypedDocumentString(`
    query Contacts($first: Int, $after: String) {
  contacts(first: $first, after: $after) {
    __typename
    ... on UserPage {
      items {
        ...UserFields
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
    fragment UserFields on User {
  id
  username
  displayName
  avatarUrl
}`) as unknown as TypedDocumentString<ContactsQuery, ContactsQueryVariables>;
export const SetDiscoverableDocument = new TypedDocumentString(`
    mutation SetDiscoverable($discoverable: Boolean!) {
  setDiscoverable(discoverable: $discoverable) {
    id
    discoverable
  }
}
    `) as unknown as TypedDocumentString<SetDiscoverableMutation, SetDiscoverableMutationVariables>;
export const TrustEventsDocument = new TypedDocumentString(`
    subscription TrustEvents {
  trustEvents {
    ...TrustEventFields
  }
}
    fragment TrustEventFields on TrustEvent {
  kind
  userId
  conversationId
  action
  discoverable
}`) as unknown as TypedDocumentString<TrustEventsSubscription, TrustEventsSubscriptionVariables>;
export const ReportDecryptionErrorDocument = new TypedDocumentString(`
    mutation ReportDecryptionError($envelopeId: ID!, $content: Bytes!) {
  reportDecryptionError(envelopeId: $envelopeId, content: $content) {
    __typename
    ... on DecryptionErrorReported {
      envelopeId
      messageId
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ReportDecryptionErrorMutation, ReportDecryptionErrorMutationVariables>;
export const ResendMessageDocument = new TypedDocumentString(`
    mutation ResendMessage($messageId: ID!, $envelope: EnvelopeInput!) {
  resendMessage(messageId: $messageId, envelope: $envelope) {
    __typename
    ... on ResendResult {
      resent
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ResendMessageMutation, ResendMessageMutationVariables>;