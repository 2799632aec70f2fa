/** Typed failures of the calls domain (GraphQL types in calls.graphql.ts). */
import { DomainError } from '../kernel/errors.js';

export const CALL_STATUSES = ['RINGING', 'ONGOING', 'COMPLETED', 'MISSED', 'DECLINED', 'CANCELLED'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export const CALL_ACTIONS = ['ACCEPT', 'DECLINE', 'END', 'CANCEL', 'SIGNAL'] as const;
export type CallAction = (typeof CALL_ACTIONS)[number];

/**
 * The action is not allowed from the call's current status, or not for the caller's part in it (accepting an
 * ended call, declining one's own call, ending a call one has not joined, cancelling someone else's call).
 * `from` is the call's status at the time; `participantState` the caller's own state in the call.
 */
export class IllegalCallTransitionError extends DomainError {
  constructor(
    readonly from: CallStatus,
    readonly action: CallAction,
    readonly participantState: string | null,
    reason: string,
  ) {
    super('ILLEGAL_CALL_TRANSITION', `cannot ${action.toLowerCase()} a ${from.toLowerCase()} call: ${reason}`);
  }
}

/** Some signaling targets are not devices of the call's participants (or are the sending device). Nothing was relayed. */
export class CallSignalTargetError extends DomainError {
  constructor(readonly deviceIds: string[]) {
    super('NOT_A_CALL_DEVICE', `${deviceIds.length} target device(s) do not belong to a participant of this call`);
  }
}
