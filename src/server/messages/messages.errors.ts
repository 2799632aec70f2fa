/** Typed failures of sendMessage (the GraphQL types are in messages.graphql.ts). */
import { DomainError } from '../kernel/errors.js';

/** A recipient device, as the server knows it (or, for an unknown device, just the id the client sent). */
export interface DeviceRefShape {
  /** Device.id (uuid) */
  id: string;
  userId: string | null;
  /** Signal device id (1..127) */
  deviceId: number | null;
  registrationId: number | null;
}

/** The envelopes do not cover exactly the current devices (Signal's 409). Nothing was stored. */
export class MismatchedDevicesError extends DomainError {
  constructor(
    readonly missing: DeviceRefShape[],
    readonly extra: DeviceRefShape[],
  ) {
    super('MISMATCHED_DEVICES', `envelopes do not match the current devices: ${missing.length} missing, ${extra.length} extra`);
  }
}

/** Some envelopes were encrypted for a registration id the device no longer has (Signal's 410). Nothing was stored. */
export class StaleDevicesError extends DomainError {
  constructor(readonly stale: DeviceRefShape[]) {
    super('STALE_DEVICES', `${stale.length} device(s) were re-registered: fetch their bundles and encrypt again`);
  }
}
