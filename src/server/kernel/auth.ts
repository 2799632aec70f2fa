/** The authenticated device behind a request or socket: what every service takes to know who acts. */
export interface AuthDevice {
  userId: string;
  /** devices.id (uuid) */
  deviceUuid: string;
  /** the Signal device id (1..127) */
  deviceId: number;
  /** token expiry, seconds since epoch */
  exp: number;
}
