// A remote party's device: libsignal's ProtocolAddress (name + device id).
import { assertUint32 } from './bytes.js';
import { ProtocolError } from './errors.js';

export class ProtocolAddress {
  readonly name: string;
  readonly deviceId: number;

  constructor(name: string, deviceId: number) {
    if (typeof name !== 'string' || name.length === 0)
      throw new ProtocolError('InvalidArgument', `"name" expected a non-empty string, got ${typeof name}`);
    assertUint32(deviceId, 'deviceId', 0, 0xffffffff);
    this.name = name;
    this.deviceId = deviceId;
  }

  toString(): string {
    return `${this.name}.${this.deviceId}`;
  }

  equals(other: ProtocolAddress): boolean {
    return other instanceof ProtocolAddress && other.name === this.name && other.deviceId === this.deviceId;
  }
}
