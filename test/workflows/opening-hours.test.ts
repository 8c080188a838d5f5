import { createSocket, type Socket } from 'node:dgram';
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import { MachineConfig } from '../../lib/machine-config';
import type { ConversationInput } from '../../machines/conversation.types';
import { publish } from '../../store/machine-config.store';
import type { ConnectorWorker } from '../../worker/worker';
import { closeConversationUpdate, conversationStatusQuery, conversationWorkflowId } from '../../workflows/conversation.messages';
import { uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { testWorker } from '../support/test-worker';
import { ACCESS_TOKEN, eventually, startTimeSkippingRig, type TimeSkippingRig } from '../support/workflow-env';

/**
 * A customer who writes while the business is closed is routed to an agent (an INVITE to the contact centre) when it
 * opens, without writing again: the workflow's `opening` timer, on the time-skipping server.
 */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const BUSINESS = '106540352242922';
// India has no daylight saving time: 08:12 in Kolkata is always 02:42 UTC, and 09:00 is 03:30 UTC.
const nineToSix = [{ from: '09:00', to: '18:00' }];
const config = MachineConfig.parse({
  autoReplies: { outOfHours: 'We are closed; we answer from 9:00.' },
  businessHours: { timeZone: 'Asia/Kolkata', days: { mon: nineToSix, tue: nineToSix, wed: nineToSix, thu: nineToSix, fri: nineToSix, sat: nineToSix, sun: nineToSix } },
});

let rig: TimeSkippingRig;
let worker: ConnectorWorker;
let running: Promise<void>;
/** The contact centre: records each INVITE and answers 486 Busy Here. */
let contactCentre: Socket;
const invites: string[] = [];

beforeAll(async () => {
  rig = await startTimeSkippingRig();
  contactCentre = createSocket('udp4');
  contactCentre.on('message', (data, from) => {
    const request = data.toString('utf8');
    if (!request.startsWith('INVITE ')) return;
    invites.push(request);
    const headers = request.split('\r\n').filter((line) => /^(Via|From|To|Call-ID|CSeq):/i.test(line));
    const response = ['SIP/2.0 486 Busy Here', ...headers.map((h) => (/^To:/i.test(h) ? `${h};tag=cc1` : h)), 'Content-Length: 0', '', ''].join('\r\n');
    contactCentre.send(response, from.port, from.address);
  });
  await new Promise<void>((resolve) => contactCentre.bind(0, '127.0.0.1', resolve));
  worker = await testWorker({
    connection: rig.env.nativeConnection,
    namespace: rig.env.namespace ?? 'default',
    taskQueue: rig.taskQueue,
    store: rig.store,
    simulator: rig.simulator,
    accessToken: ACCESS_TOKEN,
    limits: { ...defaultMessagingLimits, customerPacingMs: 0 },
    sip: {
      SIP_CONNECTOR_URI: `sip:support@127.0.0.1:${contactCentre.address().port}`,
      SIP_LOCAL_HOST: '127.0.0.1',
      SIP_LOCAL_PORT: 0,
      SIP_INVITE_TIMEOUT_MS: 20_000,
      SIP_AGENT_HEADER: 'X-Agent-Id',
    },
  });
  running = worker.run();
  await publish(rig.store, config, 'test');
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  contactCentre?.close();
  await rig?.teardown();
});

test('a customer who writes at 08:12 (closed, opens 9:00) gets the out-of-hours notice and is routed at 9:00 without writing again', async () => {
  const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
  const conversation: ConversationInput = { conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('c')}`), businessNumberId: BUSINESS, customer: { key: waId, waId }, idleCloseAfterMs: 7 * DAY };
  // On to the next 08:12 in Kolkata (02:42 UTC).
  const now = await rig.env.currentTimeMs();
  const today = new Date(now);
  let at0812 = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 2, 42);
  if (at0812 <= now) at0812 += DAY;
  await rig.env.sleep(at0812 - now);
  const opening = at0812 + 48 * MINUTE;

  const handle = await rig.customerWrites(conversation, await rig.env.currentTimeMs());
  const texts = () => rig.simulator.sent().filter((m) => m.to === waId).map((m) => (m.body as { text?: { body?: string } }).text?.body);
  await eventually(texts, (t) => t.length === 1);
  expect(texts()).toEqual(['We are closed; we answer from 9:00.']);
  expect(await handle.query(conversationStatusQuery)).toMatchObject({ state: 'openSession', routing: { phase: 'none', attempt: 0 } });

  // 08:59:30: still nobody called.
  await rig.env.sleep(opening - 30_000 - (await rig.env.currentTimeMs()));
  expect(await handle.query(conversationStatusQuery)).toMatchObject({ routing: { phase: 'none', attempt: 0 } });
  expect(invites).toHaveLength(0);

  // 09:00: the contact centre is asked for an agent, and the customer has written nothing more.
  await rig.env.sleep(31_000);
  await eventually(() => invites.length, (n) => n >= 1);
  expect(invites[0]).toMatch(/^INVITE sip:support@127\.0\.0\.1:\d+/);
  const routed = await eventually(() => handle.query(conversationStatusQuery), (s) => s.routing.attempt >= 1);
  expect(routed).toMatchObject({ inboundCount: 1, routing: { phase: 'queued', queue: 'default' } });
  expect(texts()).toEqual(['We are closed; we answer from 9:00.']);

  await handle.executeUpdate(closeConversationUpdate, { args: [{ sender: { kind: 'integrator' } }] });
  expect(await handle.result()).toMatchObject({ closedReason: 'requested' });
  await keepHistory('routed-at-opening', handle);
}, 120_000);

test('a customer who writes Friday 19:00 (closed until Monday 09:00) is not closed idle over the weekend with the default 24 h, and is routed once at Monday 09:00', async () => {
  // Monday to Friday, 9 to 6 in Kolkata; the idle period left at its default (24 h).
  const weekdays = { mon: nineToSix, tue: nineToSix, wed: nineToSix, thu: nineToSix, fri: nineToSix };
  await publish(rig.store, MachineConfig.parse({ autoReplies: config.autoReplies, businessHours: { timeZone: 'Asia/Kolkata', days: weekdays } }), 'test');
  const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
  const conversation: ConversationInput = { conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('c')}`), businessNumberId: BUSINESS, customer: { key: waId, waId }, idleCloseAfterMs: DAY };
  // On to the next Friday 19:00 in Kolkata (13:30 UTC); Monday 09:00 there is 62 h later (03:30 UTC).
  const now = await rig.env.currentTimeMs();
  const today = new Date(now);
  let friday1900 = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + ((5 - today.getUTCDay() + 7) % 7), 13, 30);
  if (friday1900 <= now) friday1900 += 7 * DAY;
  await rig.env.sleep(friday1900 - now);
  const opening = friday1900 + 62 * 60 * MINUTE;
  const invitesBefore = invites.length;

  const handle = await rig.customerWrites(conversation, await rig.env.currentTimeMs());
  const texts = () => rig.simulator.sent().filter((m) => m.to === waId).map((m) => (m.body as { text?: { body?: string } }).text?.body);
  await eventually(texts, (t) => t.length === 1);
  expect(texts()).toEqual(['We are closed; we answer from 9:00.']);

  // Sunday 19:30: the window closed Saturday 19:00 and the idle period after it has passed; the conversation waits on.
  await rig.env.sleep(friday1900 + 2 * DAY + 30 * MINUTE - (await rig.env.currentTimeMs()));
  expect(await handle.query(conversationStatusQuery)).toMatchObject({ state: 'expiredNeedsTemplate', closedReason: null, routing: { phase: 'none', attempt: 0 } });
  // Monday 08:59:30: still open, nobody called.
  await rig.env.sleep(opening - 30_000 - (await rig.env.currentTimeMs()));
  expect(await handle.query(conversationStatusQuery)).toMatchObject({ state: 'expiredNeedsTemplate', closedReason: null, routing: { phase: 'none', attempt: 0 } });
  expect(invites.length).toBe(invitesBefore);

  // Monday 09:00: one INVITE, the customer having written nothing more; the agent must answer with a template.
  await rig.env.sleep(31_000);
  await eventually(() => invites.length, (n) => n > invitesBefore);
  expect(invites.length).toBe(invitesBefore + 1);
  expect(invites[invitesBefore]).toMatch(/^INVITE sip:support@127\.0\.0\.1:\d+/);
  const routed = await eventually(() => handle.query(conversationStatusQuery), (s) => s.routing.attempt >= 1);
  expect(routed).toMatchObject({ state: 'expiredNeedsTemplate', inboundCount: 1, routing: { attempt: 1 } });

  // Nobody writes: the idle period counts from the opening, so the conversation closes idle Tuesday 09:00.
  await rig.env.sleep(opening + DAY - 60_000 - (await rig.env.currentTimeMs()));
  expect(await handle.query(conversationStatusQuery)).toMatchObject({ closedReason: null });
  await rig.env.sleep(2 * 60_000);
  expect(await handle.result()).toMatchObject({ closedReason: 'idle' });
}, 180_000);
