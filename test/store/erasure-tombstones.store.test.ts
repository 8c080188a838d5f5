import type { Store } from '../../store/db';
import { useTestStore } from '../support/test-store';
import { uniqueId } from '../support/env';
import { findCall, forgetCall, saveCall } from '../../store/calls.store';
import { recordTombstones, writeUnlessCallErased } from '../../store/erasure-tombstones.store';
import { createErasureClock } from '../../services/erasure-clock';
import type { CallStatus } from '../../workflows/call.messages';

/**
 * The tombstones an erasure leaves (README "Events arriving after an erasure") on the real store: a call record written
 * as the call activity writes it (`recordCall`: saveCall, taken back by forgetCall), and each process's erasure clock.
 */
let store: Store;
useTestStore('erasure_tombstones', (connected) => (store = connected));

const at = new Date('2026-12-01T10:00:00Z');
const callOf = (callId: string): CallStatus => ({
  callId,
  conversationId: 'wa:106540352242922:15550100001',
  businessNumberId: '106540352242922',
  customerNumber: '15550100001',
  direction: 'user_initiated',
  phase: 'ended',
  offeredAt: at.getTime(),
  attempts: 1,
  queue: 'default',
});
const record = (status: CallStatus, during?: () => Promise<void>) =>
  writeUnlessCallErased(
    store,
    status.callId,
    async () => {
      await saveCall(store, status, at);
      await during?.();
    },
    () => forgetCall(store, status.callId),
  );
const erase = (ids: { callIds?: string[]; wamids?: string[] }) => recordTombstones(store, { callIds: ids.callIds ?? [], wamids: ids.wamids ?? [] }, new Date());

describe('a call record naming an erased person (writeUnlessCallErased)', () => {
  it('is written when its call was never erased', async () => {
    const status = callOf(uniqueId('wacid'));
    await record(status);
    expect(await findCall(store, status.callId)).toMatchObject({ callId: status.callId, customerNumber: '15550100001' });
  });

  it('is not written when the call was erased before', async () => {
    const status = callOf(uniqueId('wacid'));
    await erase({ callIds: [status.callId] });
    expect(await record(status)).toBeUndefined();
    expect(await findCall(store, status.callId)).toBeNull();
  });

  it('is taken back when the erasure records the call while it is being written', async () => {
    const status = callOf(uniqueId('wacid'));
    expect(await record(status, () => erase({ callIds: [status.callId] }))).toBeUndefined();
    expect(await findCall(store, status.callId)).toBeNull();
  });
});

describe("each process's erasure clock (services/erasure-clock.ts)", () => {
  it('checks a status against the tombstones once it has read the erasure another process recorded, not before', async () => {
    const wamid = uniqueId('wamid.status');
    // This process read the shared clock before the erasure, and reads it again only after `refreshMs`.
    const here = createErasureClock(store, 60_000);
    // Past the 30 days (STATUS_CHECK_DAYS) of this file's other erasures: until this one, nobody erased recently.
    const t0 = Date.now() + 40 * 86_400_000;
    expect(await here.isStatusErased(wamid, t0)).toBe(false);
    await createErasureClock(store, 0).recordBeforeDeleting({ callIds: [], wamids: [wamid] }, new Date(t0 + 500));
    expect(await here.isStatusErased(wamid, t0 + 1_000)).toBe(false);
    expect(await here.isStatusErased(wamid, t0 + 60_000)).toBe(true);
    expect(await here.isStatusErased(uniqueId('wamid.other'), t0 + 60_000)).toBe(false);
  });

  it('checks a fresh message against the tombstones only after its own erasure; a late one always', async () => {
    const wamid = uniqueId('wamid.inbound');
    await erase({ wamids: [wamid] });
    const sentAt = Date.now();
    const clock = createErasureClock(store, 0);
    // Fresh, and this process erased nobody since it was written: not read (another process's erasure is a known limit).
    expect(await clock.isRedeliveryErased(wamid, sentAt, new Date(sentAt + 1_000))).toBe(false);
    // Over REDELIVERY_CHECK_AFTER_MS late: read.
    expect(await clock.isRedeliveryErased(wamid, sentAt, new Date(sentAt + 61_000))).toBe(true);
    await clock.recordBeforeDeleting({ callIds: [], wamids: [] }, new Date(sentAt + 500));
    expect(await clock.isRedeliveryErased(wamid, sentAt, new Date(sentAt + 1_000))).toBe(true);
  });
});
