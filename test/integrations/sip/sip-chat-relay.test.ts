/**
 * A chat line's MESSAGE, retried by another process after the first died waiting for an answer, is a
 * retransmission: sipp (the contact centre) receives the very same request twice (Call-ID, CSeq, branch, body), the
 * way a worker restarted on its SIP port re-sends it when Temporal retries the activity.
 */
import { findFreePort } from '../../../scripts/dev-servers';
import { createSipChatActivities } from '../../../activities/sip-chat.activities';
import { createSipCalls, startSipRouting, type SipRouting } from '../../../integrations/sip/sip.routing';
import type { ChatLine, RouteToAgentRequest } from '../../../integrations/sip/sip.types';
import type { Store } from '../../../store/db';
import { startSipp } from '../../support/sipp';
import { chatScenario } from '../../support/sipp-chat';

const request: RouteToAgentRequest = { conversationId: 'wa:106540352242922:15551234567', attempt: 1, customerNumber: '15551234567', businessNumber: '106540352242922', queue: 'sales' };
const noStore = {} as Store; // lines with their text never read the store

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function userAgent(port: number, t1Ms?: number): Promise<SipRouting> {
  const routing = (await startSipRouting(
    { SIP_CONNECTOR_URI: sipUri, SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: port, SIP_INVITE_TIMEOUT_MS: 20_000, SIP_AGENT_HEADER: 'X-Agent-Id', SIP_CHAT_MODE: 'message' },
    t1Ms ? { t1Ms } : {},
  )) as SipRouting;
  cleanups.push(() => routing.agent.close().catch(() => undefined)); // the first one is closed by the test
  return routing;
}
let sipUri = '';

test('a MESSAGE re-sent from a restarted user agent is a retransmission, and the BYE follows it', async () => {
  const sipp = await startSipp({ scenario: 'custom:chat-retransmission', scenarioXml: chatScenario([{ kind: 'swallow' }, { kind: 'take' }]), transport: 'udp', agent: 'agent-7', noRetransmissions: true });
  cleanups.push(() => sipp.stop());
  sipUri = sipp.uri;
  const port = await findFreePort();

  // The first worker: routes the call, sends the line, and dies before any answer (a long T1: no retransmission).
  const first = await userAgent(port, 10_000);
  const outcome = await createSipCalls({ sip: first }).routeToAgent(request);
  if (outcome.outcome !== 'answered') throw new Error(`not answered: ${JSON.stringify(outcome)}`);
  const dialog = JSON.parse(JSON.stringify(outcome.dialog)) as typeof outcome.dialog;
  const line: ChatLine = { call: { ...dialog }, seq: 2, origin: 'bot', text: 'Have you tried turning it off and on?' };
  const pending = createSipChatActivities({ store: noStore, sip: first }).relayToAgent(line);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await first.agent.close();
  await expect(pending).rejects.toMatchObject({ type: 'SipChatUnavailable' });

  // The restarted worker, on the same SIP port, retries the activity: same line, same request.
  const second = await userAgent(port);
  expect(await createSipChatActivities({ store: noStore, sip: second }).relayToAgent(line)).toEqual({ outcome: 'delivered' });
  await createSipCalls({ sip: second }).hangUp({ ...dialog, localSeq: line.seq });

  const report = await sipp.finished();
  expect(report.errors).toBe('');
  expect(report.exitCode).toBe(0);
  const [sent, resent, ...more] = report.received('MESSAGE');
  expect(more).toHaveLength(0);
  expect(resent!.text).toBe(sent!.text);
  expect(sent!.header('CSeq')).toBe('2 MESSAGE');
  expect(sent!.header('Call-ID')).toBe(dialog.callId);
  expect(sent!.text).toContain('[bot] Have you tried turning it off and on?');
  expect(report.received('BYE')[0]!.header('CSeq')).toBe('3 BYE');
});
