/**
 * A customer's reaction (Meta's `reaction` message:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction) reaches
 * the agent chatting over SIP (page mode, RFC 3428) as a line of its own, naming the emoji and the message reacted to,
 * once however often the webhook is delivered. sipp plays the contact centre; the test reads the MESSAGEs it received.
 */
import { BUSINESS_NUMBER_ID } from '../support/service';
import type { SippMessage } from '../support/sipp';
import { pageModeChat } from '../support/page-mode-chat';
import { reactionWebhook } from '../../simulator/inbound-payloads';
import { eventually } from '../support/workflow-env';
import { keepHistory } from '../support/histories';

const customer = String(15559900000 + Math.floor(Math.random() * 90_000));
const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const path = (rest = '') => `/v1/conversations/${encodeURIComponent(id)}${rest}`;
const WELCOME = 'Welcome! An agent will be with you shortly.';
const bodyOf = (message: SippMessage) => message.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

it("tells the agent of the customer's reactions, taken back included, each once", async () => {
  const { rig, sipp } = await pageModeChat([{ kind: 'take' }, { kind: 'take' }], { welcome: WELCOME, cleanups });

  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text: 'Is my order on its way?' });
  await eventually(() => rig.request('GET', path()), (r) => r.status === 200 && r.body.state === 'handedToAgent', 45_000);
  const [welcome] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (sent) => sent.length === 1);

  const liked = await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: welcome!.wamid, emoji: '👍' });
  // Meta delivers a webhook again when it did not see our answer: the agent is told once.
  const again = await rig.simulator.deliverWebhook(reactionWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: welcome!.wamid, emoji: '👍', wamid: liked.wamid }));
  expect(again.finalStatus).toBe(200);
  await rig.simulator.sendReaction({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, messageId: welcome!.wamid });
  await eventually(() => rig.request('GET', path('/messages')), (r) => r.status === 200, 5_000);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect((await rig.requestAs('agent', 'POST', path('/close'), {})).status).toBe(200);
  const report = await sipp.finished();
  expect(report.errors).toBe('');

  const reactions = report.received('MESSAGE').filter((m) => m.header('X-Chat-Reaction-To') !== undefined);
  expect(reactions.map((m) => [bodyOf(m), m.header('X-Chat-Origin'), m.header('X-Chat-Reaction-To')])).toEqual([
    [`[reaction 👍] to "${WELCOME}"`, 'customer', welcome!.wamid],
    [`[reaction removed] from "${WELCOME}"`, 'customer', welcome!.wamid],
  ]);
  expect(reactions[0]!.header('X-WhatsApp-Message-Id')).toBe(liked.wamid);
  // Replayed by test/workflows/replay.test.ts: the reaction's signal and the relay it starts stay reproducible.
  const handle = rig.temporal.workflow.getHandle(id);
  await handle.result();
  await keepHistory('sip-chat-reaction', handle);
}, 150_000);
