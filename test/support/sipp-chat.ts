/**
 * sipp scenarios for page-mode chat (RFC 3428), built from steps so each test says what the contact centre does:
 * answer the INVITE as an agent, take (or refuse) the MESSAGEs the connector sends, write as the agent (an in-dialog
 * MESSAGE, optionally sent twice with the same branch and CSeq: a retransmission), then take every further MESSAGE
 * until the BYE. Run them with `noRetransmissions` (sipp's -nr): two identical answers are then two steps.
 */
import { sipResponse } from './sipp';

/** The To tag of the agent's side of the call. */
const AGENT_TAG = '[pid]SIPpTag01[call_number]';

export type ChatStep =
  | { kind: 'take'; status?: number; reason?: string }
  /** Receives a MESSAGE and never answers it (the sender's side dies waiting). */
  | { kind: 'swallow' }
  /** `contentType` defaults to `text/plain; charset=UTF-8`. */
  /** `retransmit: 'before-answer'`: the copy goes at once, as UDP's Timer E does when the answer is slow. */
  | { kind: 'write'; body: string; cseq: number; expect: number; retransmit?: boolean | 'before-answer'; contentType?: string };

const answerInvite = `
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="sip:[^>]+" search_in="hdr" header="Contact:" check_it="true" assign_to="ourContact"/>
    </action>
  </recv>
  ${sipResponse('180 Ringing', { toTag: AGENT_TAG, contact: true })}
  ${sipResponse('200 OK', { toTag: AGENT_TAG, contact: true, headers: ['X-Agent-Id: [agent]'] })}
  <recv request="ACK">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="ourFrom"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="theirTo"/>
    </action>
  </recv>`;

const answer = (status: number, reason: string) => `
  ${sipResponse(`${status} ${reason}`)}`;

function write(step: Extract<ChatStep, { kind: 'write' }>, index: number): string {
  // [ ] are sipp's keywords; the body sits in CDATA, so only its end marker must stay out.
  if (/[[\]]/.test(step.body)) throw new Error('keep sipp bodies free of [ ]');
  const request = `
  <send><![CDATA[

MESSAGE [$ourContact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-agent-${index}-[call_number]
From:[$theirTo]
To:[$ourFrom]
Call-ID: [call_id]
CSeq: ${step.cseq} MESSAGE
Max-Forwards: 70
Content-Type: ${step.contentType ?? 'text/plain; charset=UTF-8'}
Content-Length: [len]

${step.body}
]]></send>
  <recv response="${step.expect}"/>`;
  if (step.retransmit === 'before-answer') {
    const [send, recv] = request.split('\n  <recv');
    return `${send}${send}\n  <recv${recv}\n  <recv${recv}`;
  }
  return step.retransmit ? request + request : request;
}

/**
 * One call: answered, the steps in order, then any MESSAGE taken with 200 until the BYE, which is answered 200; then
 * `afterBye` (writes in the dialog that just ended).
 */
export function chatScenario(steps: ChatStep[], afterBye: Extract<ChatStep, { kind: 'write' }>[] = []): string {
  const body = steps
    .map((step, i) => {
      if (step.kind === 'swallow') return '\n  <recv request="MESSAGE"/>';
      return step.kind === 'take' ? `\n  <recv request="MESSAGE"/>${answer(step.status ?? 200, step.reason ?? 'OK')}` : write(step, i);
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<scenario name="chat">${answerInvite}${body}
  <label id="more"/>
  <recv request="MESSAGE" optional="true" next="take"/>
  <recv request="BYE" next="bye"/>
  <label id="take"/>${answer(200, 'OK')}
  <nop next="more"/>
  <label id="bye"/>${answer(200, 'OK')}${afterBye.map((step, i) => write(step, steps.length + i)).join('')}
  <Reference variables="ourContact,ourFrom,theirTo"/>
</scenario>
`;
}
