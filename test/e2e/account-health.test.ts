/**
 * Account health (issue 20), end to end: the simulator sends each webhook as Meta's reference documents it
 * (account_update, phone_number_quality_update, message_template_status_update), the connector records an alert with
 * what to do, campaigns pause on a flagged number, a restricted account or a paused template, and resume (or stay
 * paused) by the supervisor's choice.
 */
import { campaignWorkflowId } from '../../workflows/campaign.messages';
import { upsertTemplate } from '../../store/templates.store';
import { uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ApiResponse, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15557000000 + Math.floor(Math.random() * 900_000);
const DISPLAY = '+12025550107';

beforeAll(async () => {
  rig = await startService();
  await rig.approveTemplate('health_notice', 'en_US');
  const registered = await rig.requestAs('supervisor', 'POST', '/v1/numbers', {
    phoneNumberId: BUSINESS_NUMBER_ID,
    displayNumber: DISPLAY,
    verificationMethod: 'sms',
    wabaId: WABA_ID,
    ownership: { attestedBy: 'Grace, head of support', statement: true },
  });
  expect([201, 409]).toContain(registered.status);
}, 60_000);
afterAll(async () => rig?.stop());

const customers = (n: number) => Array.from({ length: n }, () => String((next += 1)));
const startCampaign = (list: string[], template = 'health_notice') =>
  rig.request('POST', '/v1/campaigns', { businessNumberId: BUSINESS_NUMBER_ID, template: { name: template, language: 'en_US' }, recipients: list.map((waId) => ({ waId })), ratePerSecond: 1 }, { 'idempotency-key': uniqueId('cmp') });
const campaign = (id: string) => rig.request('GET', `/v1/campaigns/${id}`);
const sentTo = (list: string[]) => rig.simulator.sent().filter((m) => list.includes(m.to ?? ''));
const finished = (r: ApiResponse) => r.body.state === 'completed';
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
/** The simulated WhatsApp sends one of its account-health webhooks, built as Meta's reference shows it. */
const whatsappSays = async (field: string, options: Record<string, unknown>) => {
  const answer = await fetch(`${rig.simulator.url}/_sim/account-health/${field}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options) });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { delivery: { finalStatus: number } }).delivery;
};
const activeAlerts = async () => (await supervisor('GET', '/v1/alerts?status=active')).body.alerts as { id: string; holdId?: string; field: string; event: string }[];

/** A utility template approved at the simulated WhatsApp and in the connector's store, as a sync would leave it. */
async function approvedAtBoth(name: string): Promise<{ id: string }> {
  const sim = rig.simulator.seedTemplate({ wabaId: WABA_ID, name, language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: `Hello from ${name}.` }] });
  await upsertTemplate(rig.store, {
    businessNumberId: BUSINESS_NUMBER_ID, name, language: 'en_US', category: 'utility', status: 'APPROVED', body: `Hello from ${name}.`,
    definition: { body: { text: `Hello from ${name}.` } }, brokerTemplateId: sim.id, wabaId: WABA_ID, updatedAt: new Date(),
  });
  return sim;
}

describe('account health: alerts, and campaigns paused while WhatsApp says something is wrong', () => {
  it('pauses a running campaign when the number is flagged (quality RED), keeps it paused after WhatsApp unflags it, and resumes it when the supervisor resolves the alert', async () => {
    const list = customers(6);
    const id = (await startCampaign(list)).body.campaignId;
    await eventually(() => campaign(id), (r) => r.body.processed >= 1, 20_000);

    expect(await whatsappSays('phone_number_quality_update', { displayPhoneNumber: '12025550107', event: 'FLAGGED', currentLimit: 'TIER_2K' })).toMatchObject({ finalStatus: 200 });
    const paused = await eventually(() => campaign(id), (r) => r.body.state === 'paused', 20_000);
    expect(paused.body.pausedFor).toMatchObject({ holdId: `number:${BUSINESS_NUMBER_ID}`, reason: expect.stringContaining('RED') });
    const handedOver = paused.body.counts.queued;
    expect(handedOver).toBeLessThan(6);
    await wait(2_500); // more than two one-second ticks: nothing more goes out
    expect(sentTo(list)).toHaveLength(handedOver);

    const alert = (await activeAlerts()).find((a) => a.holdId === `number:${BUSINESS_NUMBER_ID}`)!;
    // The on-call person's alert rule reads this gauge (deploy/observability/alerts.yml, NumberQualityDropped).
    expect(await (await fetch(`${rig.baseUrl}/metrics`)).text()).toMatch(/^whatsapp_account_alerts\{field="phone_number_quality_update",event="FLAGGED",severity="critical"\} 1$/m);
    const shown = await supervisor('GET', `/v1/alerts/${alert.id}`);
    expect(shown.body).toMatchObject({
      alert: { field: 'phone_number_quality_update', event: 'FLAGGED', severity: 'critical', status: 'active', businessNumberId: BUSINESS_NUMBER_ID, whatToDo: expect.stringContaining('paused') },
      pausedCampaigns: [id],
    });
    expect(shown.body.alert.source).toContain('phone_number_quality_update');
    // Integrators run campaigns but do not see account health; a resume while the hold stands is refused, with the alert.
    expect((await rig.request('GET', '/v1/alerts')).status).toBe(403);
    expect(await rig.request('POST', `/v1/campaigns/${id}/resume`, {})).toMatchObject({ status: 409, body: { code: 'campaign_on_hold', alertId: alert.id } });

    // WhatsApp's all-clear resolves the alert and lifts the hold, but the campaign waits for the supervisor.
    await whatsappSays('phone_number_quality_update', { displayPhoneNumber: DISPLAY, event: 'UNFLAGGED' });
    await eventually(() => supervisor('GET', `/v1/alerts/${alert.id}`), (r) => r.body.alert.status === 'resolved', 10_000);
    expect(await (await fetch(`${rig.baseUrl}/metrics`)).text()).not.toMatch(/^whatsapp_account_alerts\{field="phone_number_quality_update",event="FLAGGED"/m);
    expect((await supervisor('GET', `/v1/alerts/${alert.id}`)).body.alert).toMatchObject({ resolvedBy: 'whatsapp' });
    await wait(1_500);
    expect((await campaign(id)).body.state).toBe('paused');

    const resolved = await supervisor('POST', `/v1/alerts/${alert.id}/resolve`, { campaigns: 'resume' });
    expect(resolved.body).toMatchObject({ resumed: [id], stillHeld: [], alert: { campaigns: 'resumed' } });
    const done = await eventually(() => campaign(id), finished, 30_000);
    expect(done.body).toMatchObject({ counts: { queued: 6, refused: 0 }, pausedFor: null });
    await eventually(() => sentTo(list), (s) => s.length >= 6);
    await wait(500);
    expect(sentTo(list).map((m) => m.to).sort()).toEqual([...list].sort()); // each exactly once
    await keepHistory('campaign-health-hold', rig.temporal.workflow.getHandle(campaignWorkflowId(id)));

    // Flagged again later, in the same words: a new alert and a new hold (a redelivery would have been the same one).
    await whatsappSays('phone_number_quality_update', { displayPhoneNumber: '12025550107', event: 'FLAGGED', currentLimit: 'TIER_2K' });
    const again = await eventually(activeAlerts, (alerts) => alerts.some((a) => a.holdId === `number:${BUSINESS_NUMBER_ID}`), 10_000);
    const second = again.find((a) => a.holdId === `number:${BUSINESS_NUMBER_ID}`)!;
    expect(second.id).not.toBe(alert.id);
    await supervisor('POST', `/v1/alerts/${second.id}/resolve`, { campaigns: 'keepPaused' });
  }, 90_000);

  it('holds every campaign of a restricted account from its first recipient, and keeps them paused when the supervisor chooses so', async () => {
    await whatsappSays('account_update', { event: 'ACCOUNT_RESTRICTION', restrictions: [{ type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-19T13:59:20+0000' }] });
    const alert = await eventually(activeAlerts, (alerts) => alerts.some((a) => a.holdId === `account:${WABA_ID}`), 10_000);
    const restriction = alert.find((a) => a.holdId === `account:${WABA_ID}`)!;
    const list = customers(3);
    const id = (await startCampaign(list)).body.campaignId;
    const paused = await eventually(() => campaign(id), (r) => r.body.state === 'paused', 20_000);
    expect(paused.body).toMatchObject({ processed: 0, pausedFor: { holdId: `account:${WABA_ID}`, alertId: restriction.id } });
    expect(sentTo(list)).toHaveLength(0);

    const kept = await supervisor('POST', `/v1/alerts/${restriction.id}/resolve`, { campaigns: 'keepPaused' });
    expect(kept.body).toMatchObject({ resumed: [], alert: { status: 'resolved', campaigns: 'keptPaused' } });
    await wait(1_500);
    expect((await campaign(id)).body.state).toBe('paused');
    // The hold is gone: the supervisor may resume it later, like any paused campaign.
    expect((await rig.request('POST', `/v1/campaigns/${id}/resume`, {})).body.state).toBe('running');
    expect((await eventually(() => campaign(id), finished, 20_000)).body.counts.queued).toBe(3);
  }, 60_000);

  it('pauses the campaigns of a template WhatsApp paused, and answers which stay held when the supervisor resolves too early', async () => {
    const sim = await approvedAtBoth('paused_offer');
    const list = customers(5);
    const id = (await startCampaign(list, 'paused_offer')).body.campaignId;
    await eventually(() => campaign(id), (r) => r.body.processed >= 1, 20_000);
    await rig.simulator.setTemplateStatus(sim.id, 'PAUSED', { reason: 'Low quality' });
    const paused = await eventually(() => campaign(id), (r) => r.body.state === 'paused', 20_000);
    expect(paused.body.pausedFor.holdId).toBe(`template:${BUSINESS_NUMBER_ID}:paused_offer:en_US`);
    const alert = (await activeAlerts()).find((a) => a.holdId === paused.body.pausedFor.holdId)!;
    expect(alert).toMatchObject({ field: 'message_template_status_update', event: 'PAUSED' });

    // WhatsApp still pauses the template: resolving cannot send it, and says so.
    const early = await supervisor('POST', `/v1/alerts/${alert.id}/resolve`, { campaigns: 'resume' });
    expect(early.body).toMatchObject({ resumed: [], stillHeld: [{ campaignId: id }] });
    await rig.simulator.setTemplateStatus(sim.id, 'REINSTATED');
    await eventually(() => rig.store.templates.findOne({ name: 'paused_offer' }), (t) => t?.status === 'APPROVED', 10_000);
    expect((await supervisor('POST', `/v1/alerts/${alert.id}/resolve`, { campaigns: 'resume' })).body.resumed).toEqual([id]);
    expect((await eventually(() => campaign(id), finished, 30_000)).body.counts.queued).toBe(5);
  }, 60_000);

  it('pauses the campaigns of a template WhatsApp deleted, with an alert, rather than refusing every recipient left', async () => {
    const sim = await approvedAtBoth('deleted_offer');
    const list = customers(6);
    const id = (await startCampaign(list, 'deleted_offer')).body.campaignId;
    await eventually(() => campaign(id), (r) => r.body.processed >= 1, 20_000);
    await rig.simulator.setTemplateStatus(sim.id, 'DELETED');
    const paused = await eventually(() => campaign(id), (r) => r.body.state === 'paused', 20_000);
    expect(paused.body.pausedFor.holdId).toBe(`template:${BUSINESS_NUMBER_ID}:deleted_offer:en_US`);
    const alert = (await activeAlerts()).find((a) => a.holdId === paused.body.pausedFor.holdId)!;
    expect(alert).toMatchObject({ field: 'message_template_status_update', event: 'DELETED' });
    const processed = paused.body.processed as number;
    await wait(2_500);
    const still = (await campaign(id)).body;
    expect(still).toMatchObject({ state: 'paused', processed });
    expect(still.counts.refused ?? 0).toBe(0);
    expect(sentTo(list).length).toBeLessThan(6);
  }, 60_000);

  it('keeps an account_alerts webhook as an alert in Meta’s words, dead-letters an unreadable account_update, and still ignores fields it does not handle', async () => {
    await whatsappSays('account_alerts', {
      entityType: 'BUSINESS', entityId: '506914307656634', severity: 'WARNING', type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED',
      description: 'Limits cannot be increased for your business Jaspers Market. Use WhatsApp Business platform actively for several days and follow our messaging policies.',
    });
    const alerts = await eventually(() => supervisor('GET', '/v1/alerts'), (r) => r.body.alerts.some((a: { field: string }) => a.field === 'account_alerts'), 10_000);
    expect(alerts.body.alerts.find((a: { field: string }) => a.field === 'account_alerts')).toMatchObject({ severity: 'warning', whatToDo: expect.stringContaining('Use WhatsApp Business platform actively') });

    const unreadable = await rig.simulator.deliverWebhook({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [{ field: 'account_update', value: { ban_info: {} } }] }] });
    expect(unreadable.finalStatus).toBe(200);
    const letters = await supervisor('GET', '/v1/dead-letters?reason=health_event_unreadable');
    expect(letters.body.deadLetters).toEqual([expect.objectContaining({ field: 'account_update' })]);
    const other = await rig.simulator.deliverWebhook({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [{ field: 'security', value: { event: 'PIN_CHANGED' } }] }] });
    expect(other.finalStatus).toBe(200);
  }, 30_000);
});
