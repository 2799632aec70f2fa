/** Every entity the ORM knows about. Domains add theirs here. */
import { Device, DeviceLinkCode, User } from '../accounts/account.entity.js';
import { Conversation, ConversationMember } from '../conversations/conversation.entity.js';
import { Envelope, Message, MessagePayload, MessageReaction, MessageReceipt } from '../messages/message.entity.js';
import { Call, CallParticipant } from '../calls/call.entity.js';
import { Attachment, MessageAttachment } from '../attachments/attachment.entity.js';
import { DevicePreKeyState, KyberPreKey, OneTimePreKey, SignedPreKey } from '../keys/keys.entity.js';
import { RateLimitBucket } from '../ratelimit/rate-limit.entity.js';
import { PushTarget } from '../push/push-target.entity.js';
import { Block } from '../blocks/block.entity.js';

export const entities = [User, Device, DeviceLinkCode, SignedPreKey, OneTimePreKey, KyberPreKey, DevicePreKeyState, RateLimitBucket, Conversation, ConversationMember, Message, Envelope, MessagePayload, MessageReceipt, MessageReaction, Call, CallParticipant, Attachment, MessageAttachment, PushTarget, Block];
