/**
 * Retention reaches what names customers outside their messages: calls, Meta's call webhooks, call permission
 * replies, the legacy-number notice ledger and campaigns' once-per-person marks go once past the retention, by the
 * `retention-purge` Schedule one document per step; younger ones stay. Time is moved as Meta's payloads carry it
 * (webhook timestamps); what only the worker writes is seeded as it writes it, dated back.
 */
import { saveCall } from '../../store/calls.store';
import { claimLegacyReply } from '../../store/numbers.store';
import { ensureRetentionSchedule } from '../../worker/retention-schedule';
import { permissionReplyWebhook } from '../support/call-permission-payloads';
import { uniqueId } from '../support/env';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { campaignCompleted } from '../support/campaign-rig';
import { callStatusWebhook } from '../support/call-status-payloads';
import { startRetentionRig, stopRetentionRig } from '../support/retention-rig';
import { postSignedWebhook } from '../support/signed-webhook';
import { eventually } from '../support/workflow-env';

const DAY_MS = 24 * 60 * 60 * 1000;
const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const old = `1557${suffix}1`;
const recent = `1557${suffix}2`;
const permanent = `1557${suffix}3`;
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const scheduleId = uniqueId('retention-traces');
const tenDaysAgo = Date.now() - 10 * DAY_MS;

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startRetentionRig();
}, 60_000);
afterAll(() => stopRetentionRig(rig, scheduleId));

async function deliver(body: object): Promise<void> {
  expect((await postSignedWebhook(rig.baseUrl, body)).status).toBe(200);
}

/** The call as the call workflow writes it (store/calls.store.ts saveCall), at `at`. */
const call = (customer: string, at: number) =>
  saveCall(
    rig.store,
    { callId: `call-${customer}`, conversationId: conversationOf(customer), businessNumberId: BUSINESS_NUMBER_ID, customerNumber: customer, direction: 'user_initiated', phase: 'ended', offeredAt: at, attempts: 1, queue: 'support', endedAt: at + 60_000 },
    new Date(at + 60_000),
  );

const count = (name: string, filter: object) => rig.store.db.collection(name).countDocuments(filter);
const calls = (key: string) => rig.request('GET', `/v1/conversations/${conversationOf(key)}/calls`);

describe('retention of calls, call webhooks, call permissions, the legacy ledger and campaign marks', () => {
  it('purges those past the retention through the Schedule, in batches, and keeps younger ones', async () => {
    for (const [key, at] of [[old, tenDaysAgo], [recent, Date.now() - 10_000]] as const) {
      await deliver(callStatusWebhook(key, `wacid.ret-${key}`, 'RINGING', Math.floor(at / 1000)));
      await deliver(callStatusWebhook(key, `wacid.ret-${key}`, 'REJECTED', Math.floor((at + 3_000) / 1000)));
      const seconds = Math.floor(at / 1000);
      await deliver(permissionReplyWebhook(key, { response: 'accept', is_permanent: false, expiration_timestamp: seconds + 7 * 86_400, response_source: 'user_action' }, seconds));
      await call(key, at);
      expect(await claimLegacyReply(rig.store, BUSINESS_NUMBER_ID, key, `msg_${key}`, at, DAY_MS)).toBe(true);
    }
    // A permanent Allow given as long ago: still in force, so kept (the connector checks it before the business calls).
    await deliver(permissionReplyWebhook(permanent, { response: 'accept', is_permanent: true, response_source: 'user_action' }, Math.floor(tenDaysAgo / 1000)));
    await rig.approveTemplate('spring_sale', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is spring_sale.', examples: ['Ada'] } });
    const campaignId = await campaignCompleted(rig, 'spring_sale', [old]);
    expect(await count('campaign_persons', { _id: { $regex: `^${campaignId}:` } })).toBe(1);
    // The campaign finished ten days ago: its last change moved back as the clock would have.
    await rig.store.db.collection('campaigns').updateOne({ _id: campaignId as never }, { $set: { updatedAt: new Date(tenDaysAgo) } });

    await eventually(() => count('call_permissions', { customerNumber: { $in: [old, permanent] } }), (n) => n === 2, 15_000);
    expect((await calls(old)).body.calls).toHaveLength(1);
    expect(await count('call_events', { customer: old })).toBe(2);

    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/retention`, { days: 7 })).status).toBe(200);
    await ensureRetentionSchedule(rig.temporal, { scheduleId, taskQueue: rig.taskQueue, everyMs: 1_000, policy: { defaultDays: 7, batchSize: 1 } });

    await eventually(() => count('call_events', { customer: old }), (n) => n === 0, 60_000);
    await eventually(() => count('campaign_persons', { _id: { $regex: `^${campaignId}:` } }), (n) => n === 0, 30_000);
    expect((await calls(old)).body.calls).toEqual([]);
    expect(await count('call_permissions', { customerNumber: old })).toBe(0);
    expect(await count('legacy_replies', { _id: `${BUSINESS_NUMBER_ID}:${old}` })).toBe(0);

    // Younger ones stay.
    expect((await calls(recent)).body.calls).toHaveLength(1);
    expect(await count('call_events', { customer: recent })).toBe(2);
    expect(await count('call_permissions', { customerNumber: recent })).toBe(1);
    expect(await count('call_permissions', { customerNumber: permanent })).toBe(1);
    expect(await count('legacy_replies', { _id: `${BUSINESS_NUMBER_ID}:${recent}` })).toBe(1);
  }, 150_000);
});
