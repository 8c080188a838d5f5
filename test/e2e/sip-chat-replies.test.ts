/**
 * A customer's reply to a message (Meta's `context` object: "Included if the user replied to or forwarded a message",
 * naming the quoted message's `id` only, never its text:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text) reaches
 * the agent chatting over SIP with what it quotes, as WhatsApp shows it above the reply. Other connectors passed the
 * bare text on, and agents answered the wrong question (NousResearch/hermes-agent#52957, rmyndharis/OpenWA#606,
 * chatwoot/chatwoot#13467). sipp plays the contact centre; the test reads the MESSAGEs it received.
 */
import { BUSINESS_NUMBER_ID } from '../support/service';
import type { SippMessage } from '../support/sipp';
import { pageModeChat } from '../support/page-mode-chat';
import { messagesBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';

const customer = String(15559900000 + Math.floor(Math.random() * 90_000));
const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const path = (rest = '') => `/v1/conversations/${encodeURIComponent(id)}${rest}`;
const WELCOME = 'Welcome! An agent will be with you shortly.';
const bodyOf = (message: SippMessage) => message.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

it('shows the agent what a customer reply quotes, ours or their own, and names it in X-Chat-Reply-To', async () => {
  const { rig, sipp } = await pageModeChat([{ kind: 'take' }, { kind: 'take' }, { kind: 'take' }], { welcome: WELCOME, cleanups });

  const first = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text: 'Is order 1042 on its way?' });
  await eventually(() => rig.request('GET', path()), (r) => r.status === 200 && r.body.state === 'handedToAgent', 45_000);
  const [welcome] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (sent) => sent.length === 1);

  const reply = (wamid: string, quoted: string, text: string) =>
    rig.simulator.deliverWebhook(
      messagesBody(
        { phoneNumberId: BUSINESS_NUMBER_ID },
        { contacts: [{ profile: { name: 'Ada' }, wa_id: customer }], messages: [{ context: { from: customer, id: quoted }, from: customer, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }] },
      ),
    );
  await reply(`wamid.reply1-${customer}`, welcome!.wamid, 'Thanks, I will wait');
  await reply(`wamid.reply2-${customer}`, first.wamid, 'Sorry, I meant 1043');
  await eventually(() => rig.request('GET', path('/messages')), (r) => r.status === 200 && r.body.messages.length >= 4, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect((await rig.requestAs('agent', 'POST', path('/close'), {})).status).toBe(200);
  const report = await sipp.finished();
  expect(report.errors).toBe('');

  const replies = report.received('MESSAGE').filter((m) => m.header('X-WhatsApp-Message-Id')?.startsWith('wamid.reply'));
  expect(replies.map((m) => [bodyOf(m), m.header('X-Chat-Reply-To')])).toEqual([
    [`[reply to "${WELCOME}"]\nThanks, I will wait`, welcome!.wamid],
    ['[reply to "Is order 1042 on its way?"]\nSorry, I meant 1043', first.wamid],
  ]);
}, 150_000);
