/**
 * Issue 21, retention: what passed a number's retention is purged by the Temporal Schedule's workflow, in batches,
 * on the embedded store (no TTL index); what has not stays. Read through the API, as supervisors and agents would.
 */
import { uniqueId } from '../support/env';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { startRetentionRig, stopRetentionRig } from '../support/retention-rig';
import { eventually } from '../support/workflow-env';
import { ensureRetentionSchedule } from '../../worker/retention-schedule';

const DAY_S = 24 * 60 * 60;
const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const old = `1557${suffix}1`;
const recent = `1557${suffix}2`;
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const thread = (key: string) => rig.request('GET', `/v1/conversations/${conversationOf(key)}/messages`);
const scheduleId = uniqueId('retention');

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startRetentionRig();
}, 60_000);
afterAll(() => stopRetentionRig(rig, scheduleId));

describe('retention', () => {
  it('refuses a retention under 7 days (Meta redelivers webhooks for up to 7) and an unknown number', async () => {
    const short = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/retention`, { days: 3 });
    expect(short.status).toBe(400);
    expect(short.body.errors[0]).toMatchObject({ in: 'body', path: 'days' });
    expect((await rig.requestAs('supervisor', 'PUT', '/v1/numbers/999999999/retention', { days: 30 })).status).toBe(404);
    expect((await rig.requestAs('agent', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/retention`, { days: 30 })).status).toBe(403);
  });

  it("purges a number's messages older than its retention, in batches, through the Schedule, and keeps the rest", async () => {
    // Three messages written 10 days ago (Meta's payload time), one today, by two customers.
    for (let i = 0; i < 3; i += 1) {
      await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: old, text: `old ${i}`, timestamp: Math.floor(Date.now() / 1000) - 10 * DAY_S + i });
    }
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: recent, text: 'today' });
    await eventually(() => thread(old), (r) => r.body.messages?.length === 3);
    await eventually(() => thread(recent), (r) => r.body.messages?.length === 1);

    const set = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/retention`, { days: 7 });
    expect(set.status).toBe(200);
    expect(set.body.retention).toMatchObject({ days: 7, setBy: expect.any(String) });

    // One document per step: the workflow goes on until nothing expired is left.
    await ensureRetentionSchedule(rig.temporal, { scheduleId, taskQueue: rig.taskQueue, everyMs: 1_000, policy: { defaultDays: 365, batchSize: 1 } });
    await eventually(() => thread(old), (r) => r.status === 404 || r.body.messages?.length === 0, 60_000);
    expect((await thread(recent)).body.messages).toEqual([expect.objectContaining({ text: 'today' })]);
    expect(await rig.store.messages.countDocuments({ customerKey: old })).toBe(0);
    expect(await rig.store.db.collection('inbound_handled').countDocuments({})).toBeGreaterThan(0);

    // The runs it started finished with what they removed.
    const completed = async () => {
      const statuses: string[] = [];
      for await (const run of rig.temporal.workflow.list({ query: `WorkflowType = 'retentionPurgeWorkflow' AND TaskQueue = '${rig.taskQueue}'` })) statuses.push(run.status.name);
      return statuses;
    };
    await eventually(completed, (statuses) => statuses.includes('COMPLETED'), 30_000);
  }, 120_000);

  it('goes back to the default retention on DELETE', async () => {
    const cleared = await rig.requestAs('supervisor', 'DELETE', `/v1/numbers/${BUSINESS_NUMBER_ID}/retention`);
    expect(cleared.status).toBe(200);
    expect(cleared.body.retention).toBeUndefined();
  });
});
