/**
 * Push targets of devices: register (one per device and kind; registering again replaces the previous
 * target of that kind), remove, list. A cold path (a device registers when it starts or its token rotates),
 * so it goes through the ORM's entity manager, one fork per call. The notifier reads targets through
 * `list` and drops dead ones through `removeGone`.
 */
import { randomUUID } from 'node:crypto';
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import { uuidOrNull } from '../kernel/ids.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { PushKindUnavailableError } from './push.errors.js';
import { type IPushTarget, PUSH_KINDS, type PushKind, PushTarget } from './push-target.entity.js';
import { type PushTargetInput, type PushTargetRecord, targetAddress, type ValidationOptions, validatePushTarget } from './push-target.js';

export interface PushTargetsOptions extends ValidationOptions {
  /** Kinds this server can deliver to (a provider is configured); registering another kind is refused. */
  enabledKinds: readonly PushKind[];
}

function toRecord(row: IPushTarget, deviceUuid: string): PushTargetRecord {
  const base = { id: row.id, deviceUuid, includeEnvelopeId: row.includeEnvelopeId, createdAt: row.createdAt, updatedAt: row.updatedAt };
  switch (row.kind) {
    case 'WEB_PUSH':
    case 'UNIFIED_PUSH':
      return {
        ...base,
        kind: row.kind,
        endpoint: row.endpoint!,
        keys: row.p256dh && row.auth ? { p256dh: new Uint8Array(row.p256dh), auth: new Uint8Array(row.auth) } : null,
      };
    case 'FCM':
      return { ...base, kind: 'FCM', token: row.token! };
    case 'APNS':
      return { ...base, kind: 'APNS', token: row.token!, topic: row.topic!, environment: row.environment! };
  }
}

function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23503' || (err as Error)?.name === 'ForeignKeyConstraintViolationException';
}

export class PushTargetsService {
  private readonly knex: Knex;

  constructor(
    private readonly orm: MikroORM,
    private readonly opts: PushTargetsOptions,
  ) {
    this.knex = orm.em.getKnex();
  }

  private checkDevice(deviceUuid: string): string {
    const id = uuidOrNull(deviceUuid);
    if (!id) throw new NotFoundError('Device', deviceUuid);
    return id;
  }

  /** Stores the device's target of `input.kind`, replacing the one it had; the target's id stays the same. */
  async register(deviceUuid: string, input: PushTargetInput): Promise<PushTargetRecord> {
    const device = this.checkDevice(deviceUuid);
    // a kind this server cannot deliver to is refused before its fields are looked at
    const kind = input?.kind as PushKind;
    if ((PUSH_KINDS as readonly string[]).includes(kind) && !this.opts.enabledKinds.includes(kind))
      throw new PushKindUnavailableError(kind, this.opts.enabledKinds);
    const cols = validatePushTarget(input, this.opts);
    const em = this.orm.em.fork();
    try {
      const now = new Date();
      const entity = em.create(PushTarget, { id: randomUUID(), device, ...cols, createdAt: now, updatedAt: now });
      const row = await em.upsert(PushTarget, entity, { onConflictFields: ['device', 'kind'], onConflictExcludeFields: ['id', 'createdAt'] });
      return toRecord(row, device);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new NotFoundError('Device', deviceUuid);
      throw err;
    }
  }

  /** Removes the device's target of `kind`; false when it had none. */
  async remove(deviceUuid: string, kind: string): Promise<boolean> {
    const device = this.checkDevice(deviceUuid);
    if (!(PUSH_KINDS as readonly string[]).includes(kind)) throw new InvalidInputError('kind', `expected one of ${PUSH_KINDS.join(', ')}`);
    const em = this.orm.em.fork();
    return (await em.nativeDelete(PushTarget, { device, kind: kind as PushKind })) > 0;
  }

  /**
   * The device's targets, in kind order. Hand-written SQL (the hot path, docs/server-guide.md): the notifier
   * reads a device's targets once per push, and through the entity manager (fork, find, hydration) that read
   * cost ~0.8 ms of CPU against ~0.1 ms for this prepared statement (measured on PostgreSQL), the largest part
   * of a push's cost to the server.
   */
  async list(deviceUuid: string): Promise<PushTargetRecord[]> {
    const device = uuidOrNull(deviceUuid);
    if (!device) return [];
    const rows = await query<IPushTarget & { device: string }>(
      this.knex,
      `select id, kind, endpoint, p256dh, auth, token, topic, environment, include_envelope_id as "includeEnvelopeId",
              created_at as "createdAt", updated_at as "updatedAt"
         from push_targets where device = ? order by kind`,
      [device],
    );
    // timestamptz comes back as text from a raw query
    return rows.map((r) => toRecord({ ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) }, device));
  }

  /**
   * Deletes a target its push service declared dead, unless the device re-registered it with a new endpoint
   * or token meanwhile (that one is alive). True when it was deleted.
   */
  async removeGone(target: PushTargetRecord): Promise<boolean> {
    const em = this.orm.em.fork();
    const address = targetAddress(target);
    const where = 'endpoint' in target ? { endpoint: address } : { token: address };
    return (await em.nativeDelete(PushTarget, { id: target.id, ...where })) > 0;
  }
}
