import { unsupportedWebhook } from '../../simulator/inbound-payloads';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let nextCustomer = 15558000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const sentTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer);
const textsTo = (customer: string) => sentTo(customer).map((m) => (m.body as { text?: { body?: string } }).text?.body);
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('machine configuration, versioned', () => {
  it('keeps an invalid draft, points each error at its field, and refuses to publish it', async () => {
    const draft = {
      chatbot: { enabled: true },
      agentCapacity: 0,
      businessHours: { timeZone: 'Mars/Olympus', days: { mon: [{ from: '18:00', to: '09:00' }] } },
    };
    const saved = await supervisor('PUT', '/v1/config/draft', draft);
    expect(saved.status).toBe(200);
    expect(saved.body.valid).toBe(false);
    const paths = saved.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['chatbot.endpoint', 'agentCapacity', 'businessHours.timeZone', 'businessHours.days.mon.0.to']));

    const publish = await supervisor('POST', '/v1/config/publish', {});
    expect(publish).toMatchObject({ status: 422, body: { code: 'invalid_config' } });
    expect(publish.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['agentCapacity']));
    expect((await supervisor('GET', '/v1/config/versions')).body.versions).toHaveLength(0);
  });

  it('switches a running conversation to a newly published version at its next event, then rolls back', async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello' });
    const path = `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}`;
    await eventually(() => rig.request('GET', path), (r) => r.body.state === 'openSession');
    expect(sentTo(customer)).toHaveLength(0); // nothing published: no automatic replies

    expect((await supervisor('PUT', '/v1/config/draft', { autoReplies: { unsupportedType: 'We can only read text and pictures for now.' } })).body.valid).toBe(true);
    const v1 = await supervisor('POST', '/v1/config/publish', { note: 'unsupported reply' });
    expect(v1).toMatchObject({ status: 201, body: { version: 1 } });

    // The same running conversation, next event: a poll (which the Cloud API does not deliver) gets the new reply.
    await rig.simulator.deliverWebhook(unsupportedWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, unsupportedType: 'poll_creation' }));
    await eventually(() => textsTo(customer), (texts) => texts.length === 1);
    expect(textsTo(customer)).toEqual(['We can only read text and pictures for now.']);

    await supervisor('PUT', '/v1/config/draft', { autoReplies: {} });
    expect(await supervisor('POST', '/v1/config/publish', {})).toMatchObject({ status: 201, body: { version: 2 } });
    await rig.simulator.deliverWebhook(unsupportedWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, unsupportedType: 'gif' }));
    await eventually(() => rig.request('GET', path), (r) => r.body.inboundCount === 3);

    const rollback = await supervisor('POST', '/v1/config/rollback', { version: 1 });
    expect(rollback).toMatchObject({ status: 201, body: { version: 3, config: { autoReplies: { unsupportedType: 'We can only read text and pictures for now.' } } } });
    await rig.simulator.deliverWebhook(unsupportedWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, unsupportedType: 'group_invite' }));
    await eventually(() => textsTo(customer), (texts) => texts.length === 2);
    // Version 2 (no reply) answered the GIF with nothing: exactly two replies went out.
    expect((await rig.request('GET', path)).body.inboundCount).toBe(4);

    const versions = (await supervisor('GET', '/v1/config/versions')).body.versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(versions[0]).toMatchObject({ rolledBackTo: 1, publishedBy: expect.stringContaining('supervisor-1') });
  });

  it('audits who changed what and when', async () => {
    const entries = (await supervisor('GET', '/v1/config/audit?limit=100')).body.entries as { action: string; by: string; version?: number; changes: { path: string; to?: unknown }[] }[];
    const published = entries.filter((e) => e.action === 'published' || e.action === 'rolledBack');
    expect(published.map((e) => [e.action, e.version])).toEqual([['rolledBack', 3], ['published', 2], ['published', 1]]);
    const first = published.find((e) => e.version === 1)!;
    expect(first.by).toContain('supervisor-1');
    expect(first.changes).toContainEqual({ path: 'autoReplies.unsupportedType', to: 'We can only read text and pictures for now.' });
    expect(entries.some((e) => e.action === 'draft.saved' && e.changes.some((c) => c.path === 'agentCapacity'))).toBe(true);
  });

  it('shows the draft with its diff to the published version', async () => {
    await supervisor('PUT', '/v1/config/draft', { agentCapacity: 5, autoReplies: { welcome: 'Hi! An agent will be with you shortly.' } });
    const config = await supervisor('GET', '/v1/config');
    expect(config.body.published.version).toBe(3);
    expect(config.body.draft).toMatchObject({ valid: true, errors: [] });
    expect(config.body.draft.changes).toEqual(
      expect.arrayContaining([
        { path: 'agentCapacity', from: 3, to: 5 },
        { path: 'autoReplies.welcome', to: 'Hi! An agent will be with you shortly.' },
      ]),
    );
  });
});
