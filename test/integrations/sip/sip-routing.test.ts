/**
 * The SIP routing activities against a real SIP peer: sipp plays the contact centre's connector on loopback, over
 * UDP and over TCP. Every test checks what sipp received (its message trace) and that sipp's own scenario checks
 * passed (exit code 0: every expected message came, in order, and the header regexps in the scenario matched).
 */
import { createSipCalls, startSipRouting, type SipRouting } from '../../../integrations/sip/sip.routing';
import { callIdFor } from '../../../integrations/sip/sip.dialog';
import type { RemoteBye, RouteToAgentRequest } from '../../../integrations/sip/sip.types';
import { startSipp, type SippOptions, type SippPeer } from '../../support/sipp';

const request: RouteToAgentRequest = {
  conversationId: 'wa:106540352242922:15551234567',
  attempt: 1,
  customerNumber: '15551234567',
  businessNumber: '106540352242922',
  queue: 'sales',
  skill: 'returns',
  language: 'es',
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface RigOptions {
  inviteTimeoutMs?: number;
  agentHeader?: string;
  t1Ms?: number;
}

/** sipp with a scenario, and our user agent pointed at it. */
async function rig(sippOptions: SippOptions, options: RigOptions = {}) {
  const sipp: SippPeer = await startSipp(sippOptions);
  cleanups.push(() => sipp.stop());
  const byes: RemoteBye[] = [];
  const routing = (await startSipRouting(
    {
      SIP_CONNECTOR_URI: sipp.uri,
      SIP_LOCAL_HOST: '127.0.0.1',
      SIP_LOCAL_PORT: 0,
      // Generous unless a test is about the timeout: an answer is never cut short by a slow machine.
      SIP_INVITE_TIMEOUT_MS: options.inviteTimeoutMs ?? 20_000,
      SIP_AGENT_HEADER: options.agentHeader ?? 'X-Agent-Id',
    },
    { onRemoteBye: (bye) => void byes.push(bye), ...(options.t1Ms ? { t1Ms: options.t1Ms } : {}) },
  )) as SipRouting;
  cleanups.push(() => routing.agent.close());
  return { sipp, byes, routing, activities: createSipCalls({ sip: routing }) };
}

function branchOf(via: string | undefined): string | undefined {
  return /;branch=([^;\s]+)/.exec(via ?? '')?.[1];
}

describe.each(['udp', 'tcp'] as const)('routing a conversation to an agent over SIP/%s (sipp as the contact centre)', (transport) => {
  test('a 200 routes the conversation to the agent it names; the INVITE carried the conversation; our BYE ends the call', async () => {
    const { sipp, activities } = await rig({ scenario: 'answer', transport, agent: 'agent-7', set: { hangup: 'us' } });

    const outcome = await activities.routeToAgent(request);
    expect(outcome).toMatchObject({ outcome: 'answered', agentId: 'agent-7' });
    if (outcome.outcome !== 'answered') throw new Error('not answered');
    // The workflow stores the dialog as JSON and may hand it to another worker: hang up from a parsed copy.
    const dialog = JSON.parse(JSON.stringify(outcome.dialog)) as typeof outcome.dialog;
    expect(dialog).toEqual(outcome.dialog);
    expect(dialog).toMatchObject({ conversationId: request.conversationId, callId: callIdFor(request.conversationId, 1), transport });
    await activities.hangUp(dialog);

    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const [invite, ...more] = report.received('INVITE');
    expect(more).toHaveLength(0);
    expect(invite!.startLine).toBe(`INVITE ${sipp.uri} SIP/2.0`);
    expect(invite!.header('Via')).toMatch(new RegExp(`^SIP/2.0/${transport.toUpperCase()} 127\\.0\\.0\\.1:\\d+;branch=z9hG4bK`));
    expect(invite!.header('Call-ID')).toBe(callIdFor(request.conversationId, 1));
    expect(invite!.header('CSeq')).toBe('1 INVITE');
    expect(invite!.header('From')).toMatch(/^<sip:15551234567@127\.0\.0\.1>;tag=\w+$/);
    expect(invite!.header('Content-Length')).toBe('0');
    // Without page mode (SIP_CHAT_MODE=none) the agent's MESSAGE is not invited.
    expect(invite!.header('Allow')).toBe('ACK, BYE, CANCEL, OPTIONS');
    expect({
      conversation: invite!.header('X-Conversation-Id'),
      customer: invite!.header('X-Customer-Number'),
      business: invite!.header('X-Business-Number'),
      queue: invite!.header('X-Queue'),
      skill: invite!.header('X-Skill'),
      language: invite!.header('X-Language'),
      attempt: invite!.header('X-Routing-Attempt'),
    }).toEqual({
      conversation: 'wa:106540352242922:15551234567',
      customer: '15551234567',
      business: '106540352242922',
      queue: 'sales',
      skill: 'returns',
      language: 'es',
      attempt: '1',
    });

    // The 2xx is ACKed in the dialog: to the agent's Contact, with the answer's To tag, in a new transaction.
    const [ack] = report.received('ACK');
    expect(ack!.startLine).toMatch(/^ACK sip:agent-7@127\.0\.0\.1:\d+;transport=(UDP|TCP) SIP\/2\.0$/);
    expect(ack!.header('CSeq')).toBe('1 ACK');
    expect(ack!.header('To')).toContain(`;tag=${dialog.remoteTag}`);
    expect(branchOf(ack!.header('Via'))).not.toBe(branchOf(invite!.header('Via')));
    const [bye] = report.received('BYE');
    expect(bye!.header('CSeq')).toBe('2 BYE');
    expect(bye!.header('Call-ID')).toBe(dialog.callId);
    expect(bye!.header('From')).toBe(invite!.header('From'));
  });

  test('without the agent header, the agent is the user part of the answer\'s Contact', async () => {
    const { sipp, activities } = await rig({ scenario: 'answer', transport, agent: 'maria.lopez', set: { hangup: 'us' } }, { agentHeader: 'X-Agent-Login' });
    const outcome = await activities.routeToAgent(request);
    expect(outcome).toMatchObject({ outcome: 'answered', agentId: 'maria.lopez' });
    if (outcome.outcome === 'answered') await activities.hangUp(outcome.dialog);
    expect((await sipp.finished()).exitCode).toBe(0);
  });

  test('busy (486) on the first attempt, routed on the second, which is a new call', async () => {
    const { sipp, activities } = await rig({ scenario: 'busy-then-answer', transport, calls: 2 });

    expect(await activities.routeToAgent(request)).toEqual({ outcome: 'busy', status: 486, reason: 'Busy Here', retryAfterSeconds: 5 });
    const second = await activities.routeToAgent({ ...request, attempt: 2 });
    expect(second).toMatchObject({ outcome: 'answered', agentId: 'agent-7' });
    if (second.outcome === 'answered') await activities.hangUp(second.dialog);

    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const invites = report.received('INVITE');
    expect(invites.map((invite) => [invite.header('Call-ID'), invite.header('X-Routing-Attempt')])).toEqual([
      [callIdFor(request.conversationId, 1), '1'],
      [callIdFor(request.conversationId, 2), '2'],
    ]);
    // The 486 is ACKed inside the INVITE transaction: same branch, the answer's To tag.
    const [busyAck, answerAck] = report.received('ACK');
    expect(branchOf(busyAck!.header('Via'))).toBe(branchOf(invites[0]!.header('Via')));
    expect(busyAck!.header('Call-ID')).toBe(callIdFor(request.conversationId, 1));
    expect(busyAck!.header('To')).toMatch(/;tag=\S+/);
    expect(answerAck!.header('Call-ID')).toBe(callIdFor(request.conversationId, 2));
  });

  test('404 is a final failure for the fallback, and is ACKed', async () => {
    const { sipp, activities } = await rig({ scenario: 'reject-404', transport });

    expect(await activities.routeToAgent(request)).toEqual({ outcome: 'rejected', status: 404, reason: 'Not Found' });

    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const [invite] = report.received('INVITE');
    const [ack] = report.received('ACK');
    expect(ack!.startLine).toBe(`ACK ${sipp.uri} SIP/2.0`);
    expect(ack!.header('CSeq')).toBe('1 ACK');
    expect(branchOf(ack!.header('Via'))).toBe(branchOf(invite!.header('Via')));
  });

  test('ringing with no answer: at the timeout the INVITE is CANCELled, the 487 ACKed, and no answer reported', async () => {
    const { sipp, activities } = await rig({ scenario: 'ring-no-answer', transport }, { inviteTimeoutMs: 1_000 });

    expect(await activities.routeToAgent(request)).toEqual({ outcome: 'noAnswer' });

    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const [invite] = report.received('INVITE');
    const [cancel] = report.received('CANCEL');
    expect(cancel!.startLine).toBe(`CANCEL ${sipp.uri} SIP/2.0`);
    expect(cancel!.header('CSeq')).toBe('1 CANCEL');
    expect(cancel!.header('Call-ID')).toBe(invite!.header('Call-ID'));
    expect(cancel!.header('Via')).toBe(invite!.header('Via'));
    expect(report.received('ACK')).toHaveLength(1);
    expect(report.received('BYE')).toHaveLength(0);
  });

  test('no answer at all, not even 100 Trying: the INVITE is abandoned at the timeout without a CANCEL', async () => {
    // T1 = 100 ms: over UDP the INVITE is retransmitted (100, 300, 700 ms) well within the 1 s timeout.
    const { sipp, activities } = await rig({ scenario: 'silent', transport, pauseMs: 3_000 }, { inviteTimeoutMs: 1_000, t1Ms: 100 });

    expect(await activities.routeToAgent(request)).toEqual({ outcome: 'noAnswer' });

    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const invites = report.received('INVITE');
    if (transport === 'udp') expect(invites.length).toBeGreaterThanOrEqual(2);
    else expect(invites).toHaveLength(1); // a reliable transport is never retransmitted on
    expect(new Set(invites.map((invite) => invite.header('Via'))).size).toBe(1);
    expect(report.received('CANCEL')).toHaveLength(0);
  });

  test('the contact centre hangs up: its BYE is answered 200 and reported with the conversation', async () => {
    const { sipp, activities, byes } = await rig({ scenario: 'answer', transport, set: { hangup: 'them' } });

    const outcome = await activities.routeToAgent(request);
    expect(outcome).toMatchObject({ outcome: 'answered' });

    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);
    const callId = callIdFor(request.conversationId, 1);
    expect(byes).toEqual([{ callId, conversationId: request.conversationId }]);
    const answer = report.messages.find((m) => m.direction === 'received' && m.header('CSeq') === '1 BYE');
    expect(answer?.startLine).toBe('SIP/2.0 200 OK');
    expect(answer?.header('Call-ID')).toBe(callId);
  });
});
