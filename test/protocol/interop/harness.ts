// Shared pieces of the interop suites (interop.test.ts, interop-spqr.test.ts): peer pairs, run
// summaries, the clean-run requirements and the probe comparison against libsignal <-> libsignal.
import { expect } from 'vitest';
import { type Peer, type PeerKind, makePeer } from './peers.js';
import type { Trace } from './probes.js';
import type { ScheduleStats } from './schedule.js';

export const MESSAGES = 1000;
export type Role = 'initiator' | 'recipient';
/** scripted probes append a schedule: the full count when ours is involved, a short one for the reference */
export const followUp = (I: Peer, R: Peer) => (I.impl === 'ours' || R.impl === 'ours' ? MESSAGES : 200);

/** I = initiator (processes R's bundle), R = recipient. `ours` takes the given role. */
export async function pair(
  oursRole: Role | 'none',
  lib: PeerKind,
  kyber: boolean,
  seedLabel: string,
): Promise<{ I: Peer; R: Peer }> {
  const I = await makePeer(oursRole === 'initiator' ? 'ours' : lib, 'alice', `${seedLabel}:alice`);
  const R = await makePeer(oursRole === 'recipient' ? 'ours' : lib, 'bob', `${seedLabel}:bob`);
  await I.processBundle(R, await R.bundle({ kyber }));
  return { I, R };
}

export const summary = (name: string, s: ScheduleStats) =>
  console.info(
    `[interop] ${name}: seed=${s.seed} sent=${s.sent} (A->B ${s.sentAtoB}, B->A ${s.sentBtoA}, PreKey ${s.preKeyMessages})` +
      ` decrypted=${s.deliveredOk} dropped=${s.dropped} reordered=${s.reordered} late=${s.late}` +
      ` (old chain ${s.lateFromOldChain}) duplicates=${s.duplicatesInjected} chains A/B=${s.chainsSeenByA}/${s.chainsSeenByB}` +
      ` field5 A/B=${s.pqFieldFromA}/${s.pqFieldFromB} SPQR epochs A/B=${s.spqrEpochA}/${s.spqrEpochB}`,
  );

export function expectCleanRun(s: ScheduleStats) {
  expect(s.sent).toBeGreaterThanOrEqual(MESSAGES);
  expect(s.deliveredOk).toBe(s.sent - s.dropped);
  expect(s.duplicateErrors).toEqual(s.duplicatesInjected ? { DuplicatedMessage: s.duplicatesInjected } : {});
  expect(s.lateFromOldChain).toBeGreaterThan(0);
  expect(s.duplicatesInjected).toBeGreaterThan(0);
}

/** run a probe on libsignal↔libsignal and with ours in each role; all traces must be identical */
export async function compareProbe(
  name: string,
  lib: PeerKind,
  kyber: boolean,
  run: (I: Peer, R: Peer) => Promise<Trace>,
  roles: Array<Role | 'none'> = ['none', 'initiator', 'recipient'],
): Promise<Record<string, Trace>> {
  const traces: Record<string, Trace> = {};
  for (const role of roles) {
    const { I, R } = await pair(role, lib, kyber, `${name}-${role}`);
    traces[role] = await run(I, R);
  }
  const ref = traces[roles[0]];
  for (const role of roles.slice(1)) {
    const t = traces[role];
    if (JSON.stringify(t.events) !== JSON.stringify(ref.events)) {
      const i = t.events.findIndex((e, k) => e !== ref.events[k]);
      throw new Error(
        `${name}: ours as ${role} diverges from ${roles[0] === 'none' ? `libsignal ${lib} <-> ${lib}` : roles[0]} at step ${i}:\n` +
          `  expected: ${ref.events[i]}\n  actual:   ${t.events[i]}\n` +
          `  ours' errors: ${t.errors.join(' | ') || '(none)'}\n  reference errors: ${ref.errors.join(' | ') || '(none)'}`,
      );
    }
  }
  return traces;
}

