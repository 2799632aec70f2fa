/** Every entity the ORM knows about. Domains add theirs here. */
import { Device, DeviceLinkCode, User } from '../accounts/account.entity.js';

export const entities = [User, Device, DeviceLinkCode];
