import type { BrokerSimulator } from '../../simulator/broker-simulator';
import { graph, startReceiver, startSim, until, WABA, type Json } from './support';

/** WhatsApp's review as a scripted play: each step is the webhook Meta sends for it, in Meta's shape. */
let sim: BrokerSimulator | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await sim?.close();
  await receiver.close();
});

const create = (s: BrokerSimulator, name: string) =>
  graph(s, 'POST', `${WABA}/message_templates`, { name, language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your parcel is on its way to you.' }] });
const changes = () => receiver.received.flatMap((b) => b.entry.flatMap((e: Json) => e.changes as Json[]));

describe('template review plays', () => {
  it('leaves an unscripted template PENDING: no timer approves it', async () => {
    sim = await startSim({ webhookUrl: receiver.url });
    const created = await create(sim, 'unscripted');
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.templates().find((t) => t.id === created.body.id)).toMatchObject({ status: 'PENDING' });
    expect(changes()).toEqual([]);
  });

  it('plays approval, category change, quality change, pause, reinstatement and disabling, each by its webhook', async () => {
    sim = await startSim({ webhookUrl: receiver.url });
    await fetch(`${sim.url}/_sim/templates/plays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'scripted',
        steps: [{ status: 'APPROVED' }, { category: 'MARKETING' }, { quality: 'RED' }, { status: 'PAUSED' }, { status: 'REINSTATED' }, { status: 'DISABLED' }],
      }),
    });
    const created = await create(sim, 'scripted');
    const seen = await until(changes, (c) => c.length === 6);
    const id = Number(created.body.id);
    expect(seen.map((c) => c.field)).toEqual([
      'message_template_status_update',
      'template_category_update',
      'message_template_quality_update',
      'message_template_status_update',
      'message_template_status_update',
      'message_template_status_update',
    ]);
    expect(seen[0]!.value).toMatchObject({ event: 'APPROVED', message_template_id: id, message_template_name: 'scripted', message_template_language: 'en_US' });
    expect(seen[1]!.value).toMatchObject({ previous_category: 'UTILITY', new_category: 'MARKETING', message_template_id: id });
    expect(seen[2]!.value).toMatchObject({ previous_quality_score: 'UNKNOWN', new_quality_score: 'RED', message_template_id: id });
    expect(seen[3]!.value).toMatchObject({ event: 'PAUSED', other_info: { title: 'FIRST_PAUSE' } });
    expect(seen[4]!.value).toMatchObject({ event: 'REINSTATED' });
    expect(seen[5]!.value).toMatchObject({ event: 'DISABLED' });
    expect(sim.templates().find((t) => t.id === created.body.id)).toMatchObject({ status: 'DISABLED', category: 'MARKETING', quality: 'RED' });
  });

  it('plays a rejection with its reason, and an edit of the rejected template goes back to review', async () => {
    sim = await startSim({ webhookUrl: receiver.url });
    sim.scriptReview('rejected_once', [{ status: 'REJECTED', reason: 'INCORRECT_CATEGORY' }]);
    const created = await create(sim, 'rejected_once');
    await until(changes, (c) => c.length === 1);
    expect(changes()[0]!.value).toMatchObject({ event: 'REJECTED', reason: 'INCORRECT_CATEGORY' });
    const listed = await graph(sim, 'GET', `${WABA}/message_templates`);
    expect(listed.body.data.find((t: Json) => t.id === created.body.id)).toMatchObject({ status: 'REJECTED', rejected_reason: 'INCORRECT_CATEGORY' });
    const edited = await graph(sim, 'POST', created.body.id as string, { components: [{ type: 'BODY', text: 'Your parcel is now on its way.' }] });
    expect(edited).toMatchObject({ status: 200, body: { success: true } });
    expect(sim.templates().find((t) => t.id === created.body.id)).toMatchObject({ status: 'PENDING' });
  });

  it('keeps the npm start demo: a default play approves after a short delay', async () => {
    sim = await startSim({ webhookUrl: receiver.url, autoApproveTemplatesAfterMs: 20 });
    const created = await create(sim, 'demo');
    await until(changes, (c) => c.length === 1);
    expect(sim.templates().find((t) => t.id === created.body.id)).toMatchObject({ status: 'APPROVED' });
  });
});
