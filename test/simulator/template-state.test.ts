import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graph, PHONE_NUMBER_ID, startReceiver, startSim, until, WABA, type Json } from '../conformance/support';

/**
 * `npm start` restarted on one `.data`: the embedded simulator (WhatsApp's side) keeps the account's templates and
 * their statuses in `stateDir`, so a template approved before the restart is still held, with the same id and status,
 * and sends as it did. Shapes from Meta's template management ("Get templates") and template-message references.
 */
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stateDir: string;
beforeAll(async () => {
  receiver = await startReceiver();
  stateDir = mkdtempSync(join(tmpdir(), 'sim-state-'));
});
afterAll(async () => {
  await receiver.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const body = { type: 'BODY', text: 'Hello {{1}}, your table is ready.', example: { body_text: [['Ada']] } };
const sendTemplate = (sim: Awaited<ReturnType<typeof startSim>>) =>
  graph(sim, 'POST', `${PHONE_NUMBER_ID}/messages`, {
    messaging_product: 'whatsapp',
    to: '15551234567',
    type: 'template',
    template: { name: 'table_ready', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
  });
const listed = async (sim: Awaited<ReturnType<typeof startSim>>) => ((await graph(sim, 'GET', `${WABA}/message_templates?fields=id,name,language,status`)).body.data as Json[]).map(({ id, name, language, status }) => ({ id, name, language, status }));

describe('the simulator restarted on its state directory', () => {
  it('still holds the templates and their statuses, and sends an approved one', async () => {
    const first = await startSim({ webhookUrl: receiver.url, stateDir, autoApproveTemplatesAfterMs: 10 });
    const created = await graph(first, 'POST', `${WABA}/message_templates`, { name: 'table_ready', language: 'en_US', category: 'UTILITY', components: [body] });
    await graph(first, 'POST', `${WABA}/message_templates`, { name: 'table_moved', language: 'en_US', category: 'UTILITY', components: [body] });
    await until(() => first.templates(), (all) => all.every((t) => t.status === 'APPROVED'));
    await first.setTemplateStatus(first.templates().find((t) => t.name === 'table_moved')!.id, 'PAUSED', { silently: true });
    const before = await listed(first);
    expect(before).toHaveLength(2);
    await first.close();

    const second = await startSim({ webhookUrl: receiver.url, stateDir, autoApproveTemplatesAfterMs: 10 });
    try {
      expect(await listed(second)).toEqual(before);
      expect(before.find((t) => t.name === 'table_ready')).toMatchObject({ id: created.body.id, status: 'APPROVED' });
      const sent = await sendTemplate(second);
      expect(sent).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
    } finally {
      await second.close();
    }
  });

  it('keeps nothing without a state directory (tests, benchmarks)', async () => {
    const first = await startSim({ webhookUrl: receiver.url });
    first.seedTemplate({ wabaId: WABA, name: 'table_ready', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [body] });
    await first.close();
    const second = await startSim({ webhookUrl: receiver.url });
    try {
      expect(second.templates()).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
