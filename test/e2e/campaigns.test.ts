import { CAMPAIGN_WORKFLOW_TYPE, campaignWorkflowId, type CampaignWorkflowInput } from '../../workflows/campaign.messages';
import { createCampaign } from '../../store/campaigns.store';
import { uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ApiResponse, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15556000000 + Math.floor(Math.random() * 900_000);

/** The campaigns' templates greet each recipient by name: one body placeholder, with its example. */
const withName = (name: string) => ({ body: { text: `Hello {{1}}, this is ${name}.`, examples: ['Ada'] } });

beforeAll(async () => {
  rig = await startService();
  await rig.approveTemplate('spring_sale', 'en_US', 'APPROVED', withName('spring_sale'));
}, 60_000);
afterAll(async () => rig?.stop());

const customers = (n: number) => Array.from({ length: n }, () => String((next += 1)));
const recipientsFor = (list: string[]) =>
  list.map((waId, i) => ({ waId, components: [{ type: 'body' as const, parameters: [{ type: 'text' as const, text: `Customer ${i}` }] }] }));
const createCampaign$ = (body: Record<string, unknown>, key = uniqueId('key')) =>
  rig.request('POST', '/v1/campaigns', { businessNumberId: BUSINESS_NUMBER_ID, template: { name: 'spring_sale', language: 'en_US' }, ...body }, { 'idempotency-key': key });
const campaign = (id: string) => rig.request('GET', `/v1/campaigns/${id}`);
const sentTo = (list: string[]) => rig.simulator.sent().filter((m) => m.type === 'template' && list.includes(m.to ?? ''));
const finished = (r: ApiResponse) => r.body.state === 'completed' || r.body.state === 'cancelled';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('campaigns: one approved template to a list of customers', () => {
  it('sends the template to every recipient exactly once, through their conversation, with each outcome stored', async () => {
    const list = customers(8);
    const key = uniqueId('spring');
    const created = await createCampaign$({ recipients: recipientsFor(list), ratePerSecond: 4 }, key);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'running', total: 8, ratePerSecond: 4, counts: { pending: 8, queued: 0 } });
    // The integrator's retry answers the same campaign and sends nothing more.
    expect((await createCampaign$({ recipients: recipientsFor(list), ratePerSecond: 4 }, key)).body.campaignId).toBe(created.body.campaignId);

    const done = await eventually(() => campaign(created.body.campaignId), finished, 30_000);
    expect(done.body).toMatchObject({ state: 'completed', processed: 8, counts: { pending: 0, queued: 8, refused: 0, cancelled: 0 } });
    const sent = await eventually(() => sentTo(list), (s) => s.length >= 8);
    await pause(500);
    expect(sentTo(list).map((m) => m.to).sort()).toEqual([...list].sort());
    const parameter = (to: string) => (sent.find((m) => m.to === to)!.body.template as { components: { parameters: { text: string }[] }[] }).components[0]!.parameters[0]!.text;
    expect(list.map(parameter)).toEqual(list.map((_, i) => `Customer ${i}`));

    // Per-recipient outcomes follow the broker's status webhooks; each message is in its customer's thread.
    const read = await eventually(() => campaign(created.body.campaignId), (r) => r.body.delivery.read === 8, 30_000);
    expect(read.body.delivery).toMatchObject({ queued: 0, failed: 0, read: 8 });
    const page = await rig.request('GET', `/v1/campaigns/${created.body.campaignId}/recipients?from=0&limit=5`);
    expect(page.body.next).toBe(5);
    expect(page.body.recipients.map((r: { index: number }) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(page.body.recipients[0]).toMatchObject({ customer: { waId: list[0] }, status: 'read', conversationId: `wa:${BUSINESS_NUMBER_ID}:${list[0]}` });
    // The last page, ending exactly at the last recipient, names no next page: a client stops without an extra request.
    const last = await rig.request('GET', `/v1/campaigns/${created.body.campaignId}/recipients?from=5&limit=3`);
    expect(last.body).toMatchObject({ next: null });
    expect(last.body.recipients.map((r: { index: number }) => r.index)).toEqual([5, 6, 7]);
    const thread = await rig.request('GET', `/v1/conversations/${page.body.recipients[0].conversationId}/messages`);
    expect(thread.body.messages).toEqual([expect.objectContaining({ id: page.body.recipients[0].messageId, template: { name: 'spring_sale', language: 'en_US' } })]);
  }, 60_000);

  it('stops handing recipients over when paused, and finishes them once resumed', async () => {
    const list = customers(10);
    const created = await createCampaign$({ recipients: recipientsFor(list), ratePerSecond: 1 });
    const id = created.body.campaignId;
    await eventually(() => campaign(id), (r) => r.body.processed >= 2, 20_000);

    const paused = await rig.request('POST', `/v1/campaigns/${id}/pause`, {});
    expect(paused.body).toMatchObject({ state: 'paused' });
    const handedOver = paused.body.counts.queued;
    await eventually(() => sentTo(list), (s) => s.length === handedOver);
    await pause(2_500); // more than two of its one-second ticks
    expect(sentTo(list)).toHaveLength(handedOver);
    expect((await campaign(id)).body).toMatchObject({ state: 'paused', processed: handedOver });

    expect((await rig.request('POST', `/v1/campaigns/${id}/resume`, {})).body.state).toBe('running');
    expect((await eventually(() => campaign(id), finished, 30_000)).body).toMatchObject({ state: 'completed', counts: { queued: 10 } });
    await eventually(() => sentTo(list), (s) => s.length >= 10);
    await pause(500);
    expect(sentTo(list).map((m) => m.to).sort()).toEqual([...list].sort());
    await keepHistory('campaign-pause-resume', rig.temporal.workflow.getHandle(campaignWorkflowId(id)));
  }, 60_000);

  it('cancels for good: nobody else is messaged, and it can be neither paused nor resumed', async () => {
    const list = customers(10);
    const id = (await createCampaign$({ recipients: recipientsFor(list), ratePerSecond: 1 })).body.campaignId;
    await eventually(() => campaign(id), (r) => r.body.processed >= 1, 20_000);

    const cancelled = await rig.request('POST', `/v1/campaigns/${id}/cancel`, {});
    expect(cancelled.body).toMatchObject({ state: 'cancelled', counts: { pending: 0 } });
    const { queued, cancelled: notSent } = cancelled.body.counts;
    expect(queued + notSent).toBe(10);
    await eventually(() => sentTo(list), (s) => s.length === queued);
    await pause(2_000);
    expect(sentTo(list)).toHaveLength(queued);

    for (const action of ['resume', 'pause']) {
      const refused = await rig.request('POST', `/v1/campaigns/${id}/${action}`, {});
      expect(refused).toMatchObject({ status: 409, body: { code: 'campaign_finished' } });
    }
    expect((await rig.request('POST', `/v1/campaigns/${id}/cancel`, {})).body.state).toBe('cancelled');
    const last = await rig.request('GET', `/v1/campaigns/${id}/recipients?from=9&limit=1`);
    expect(last.body).toEqual({ recipients: [expect.objectContaining({ index: 9, status: 'cancelled' })], next: null });
  }, 60_000);

  it('refuses a campaign whose template is not approved, storing nothing', async () => {
    await rig.approveTemplate('draft_offer', 'en_US', 'PENDING');
    const answer = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: BUSINESS_NUMBER_ID,
      template: { name: 'draft_offer', language: 'en_US' },
      recipients: [{ waId: customers(1)[0] }],
    });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_not_approved' } });
    expect(await rig.store.db.collection('campaigns').countDocuments({ 'template.name': 'draft_offer' })).toBe(0);
  });

  it('refuses at creation, naming the row and parameter, a list whose parameters do not fit the template, storing and sending nothing', async () => {
    const list = customers(4);
    const [good, none, two, tabbed] = recipientsFor(list);
    const before = await rig.store.db.collection('campaigns').countDocuments({});
    const answer = await createCampaign$({
      recipients: [
        good,
        { waId: none!.waId },
        { ...two, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: 'Lovelace' }] }] },
        { ...tabbed, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada\tLovelace' }] }] },
      ],
    });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(answer.body.detail).toContain('1, 2, 3');
    const paths = answer.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(['recipients.1.components.0', 'recipients.2.components.0.parameters', 'recipients.3.components.0.parameters.0.text']);
    expect(await rig.store.db.collection('campaigns').countDocuments({})).toBe(before);
    await pause(300);
    expect(sentTo(list)).toHaveLength(0);
  });

  it("refuses a named template's list with a positional parameter or without the media header, naming each", async () => {
    await rig.approveTemplate('named_offer', 'en_US', 'APPROVED', {
      header: { format: 'image' },
      body: { text: 'Hello {{first_name}}, your offer is ready.', examples: { first_name: 'Ada' } },
    });
    const [a, b] = customers(2);
    const answer = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: BUSINESS_NUMBER_ID,
      template: { name: 'named_offer', language: 'en_US' },
      recipients: [
        { waId: a, components: [{ type: 'header', parameters: [{ type: 'image', link: 'https://cdn.example/a.png' }] }, { type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
        { waId: b, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Grace', name: 'first_name' }] }] },
      ],
    });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({ path: 'recipients.0.components.1.parameters.0.name' }),
      expect.objectContaining({ path: 'recipients.1.components.1', message: expect.stringContaining('header needs 1 image') }),
    ]);
    expect(await rig.store.db.collection('campaigns').countDocuments({ 'template.name': 'named_offer' })).toBe(0);
  });

  it('records a recipient with an invalid number as refused and goes on with the others', async () => {
    const [first, last] = customers(2);
    const id = (await createCampaign$({ recipients: recipientsFor([first!, '+44 20 7946 0000', last!]), ratePerSecond: 5 })).body.campaignId;
    const done = await eventually(() => campaign(id), finished, 20_000);
    expect(done.body).toMatchObject({ state: 'completed', counts: { queued: 2, refused: 1 }, refusals: { invalid_recipient: 1 } });
    const page = await rig.request('GET', `/v1/campaigns/${id}/recipients`);
    expect(page.body.recipients[1]).toMatchObject({ status: 'refused', refusal: { code: 'invalid_recipient' } });
    await eventually(() => sentTo([first!, last!]), (s) => s.length === 2);
  }, 30_000);

  it('records a person the business blocked as refused (customer_blocked), whichever identifier lists them, and completes', async () => {
    const [first, blocked, last] = customers(3);
    const bsuid = `US.${String(next).padStart(20, '7')}`;
    // They wrote with number and BSUID (Meta's payload: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/).
    await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID },
        contacts: [{ profile: { name: 'Mallory' }, wa_id: blocked, user_id: bsuid }],
        messages: [{ from: blocked, from_user_id: bsuid, id: `wamid.${uniqueId('m')}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'stop it' } }],
      } }] }],
    });
    const path = `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${bsuid}`; // a new person with both is keyed by BSUID
    await eventually(() => rig.request('GET', path), (r) => r.body.inboundCount === 1);
    expect((await rig.requestAs('supervisor', 'POST', `${path}/block`)).status).toBe(200);

    const [one, three] = recipientsFor([first!, last!]);
    const listed = { userId: bsuid, components: one!.components };
    const id = (await createCampaign$({ recipients: [one, listed, three], ratePerSecond: 5 })).body.campaignId;
    const done = await eventually(() => campaign(id), finished, 20_000);
    expect(done.body).toMatchObject({ state: 'completed', counts: { queued: 2, refused: 1 }, refusals: { customer_blocked: 1 } });
    const page = await rig.request('GET', `/v1/campaigns/${id}/recipients`);
    expect(page.body.recipients[1]).toMatchObject({ status: 'refused', refusal: { code: 'customer_blocked' } });
    expect(rig.simulator.sent().filter((m) => m.to === blocked || m.recipient === bsuid)).toHaveLength(0);
  }, 40_000);

  it('records recipients reached after the template was withdrawn as refused, and still completes', async () => {
    await rig.approveTemplate('flash_sale', 'en_US', 'APPROVED', withName('flash_sale'));
    const list = customers(5);
    const id = (await createCampaign$({ template: { name: 'flash_sale', language: 'en_US' }, recipients: recipientsFor(list), ratePerSecond: 1 })).body.campaignId;
    await eventually(() => campaign(id), (r) => r.body.processed >= 1, 20_000);
    const paused = await rig.request('POST', `/v1/campaigns/${id}/pause`, {});
    await rig.approveTemplate('flash_sale', 'en_US', 'REJECTED', withName('flash_sale')); // Meta paused or rejected it mid-campaign
    await rig.request('POST', `/v1/campaigns/${id}/resume`, {});

    const done = await eventually(() => campaign(id), finished, 20_000);
    const refused = 5 - paused.body.counts.queued;
    expect(done.body).toMatchObject({ state: 'completed', counts: { queued: paused.body.counts.queued, refused }, refusals: { template_not_approved: refused } });
    expect(refused).toBeGreaterThan(0);
  }, 40_000);

  it('continues as new as its history grows, handing each recipient over once', async () => {
    const list = customers(12);
    const campaignId = `cmp_${uniqueId('x').slice(2).padEnd(32, '0')}`;
    const now = new Date();
    await createCampaign(
      rig.store,
      { _id: campaignId, campaignId, businessNumberId: BUSINESS_NUMBER_ID, template: { name: 'spring_sale', language: 'en_US' }, state: 'running', total: 12, processed: 0, counts: { pending: 12, queued: 0, refused: 0, cancelled: 0 }, refusals: {}, ratePerSecond: 3, whenTierUsedUp: 'wait', resumesAt: null, createdAt: now, updatedAt: now },
      recipientsFor(list).map(({ waId, components }) => ({ customer: { waId }, components })),
    );
    const input: CampaignWorkflowInput = { campaignId, businessNumberId: BUSINESS_NUMBER_ID, template: { name: 'spring_sale', language: 'en_US' }, total: 12, ratePerSecond: 3, whenTierUsedUp: 'wait', maxHistoryEvents: 25 };
    const handle = await rig.temporal.workflow.start(CAMPAIGN_WORKFLOW_TYPE, { workflowId: campaignWorkflowId(campaignId), taskQueue: rig.taskQueue, args: [input] });

    const result = await rig.temporal.workflow.getHandle(handle.workflowId).result();
    expect(result).toMatchObject({ state: 'completed', processed: 12, counts: { queued: 12 } });
    expect((await rig.temporal.workflow.getHandle(handle.workflowId).describe()).runId).not.toBe(handle.firstExecutionRunId);
    await eventually(() => sentTo(list), (s) => s.length >= 12);
    await pause(500);
    expect(sentTo(list).map((m) => m.to).sort()).toEqual([...list].sort());
    await keepHistory('campaign-continue-as-new-first-run', rig.temporal.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId));
  }, 60_000);
});
