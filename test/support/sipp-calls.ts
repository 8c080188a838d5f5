/**
 * sipp scenarios for WhatsApp calls, both sides: `metaCall` plays Meta's SIP server placing a user's call to the
 * connector (INVITE with a WebRTC SDP offer as Meta documents it: ICE, DTLS-SRTP, Opus; answering our digest
 * challenge), `agentLeg` plays the contact centre taking (or not) the call the connector places.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { sipRequest, sipResponse } from './sipp';

/** An SDP offer shaped like Meta's (WebRTC media: ICE, DTLS-SRTP, Opus). */
export const META_SDP_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE audio',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:wAcL',
  'a=ice-pwd:metaIcePasswordForTests0001',
  'a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
  'a=setup:actpass',
  'a=mid:audio',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:126 telephone-event/8000',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host',
].join('\n');

/** The contact centre's SBC answer (the same media family, so Meta can talk to it directly). */
export const AGENT_SDP_ANSWER = [
  'v=0',
  'o=sbc 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 41000 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 127.0.0.1',
  'a=ice-ufrag:sBcA',
  'a=ice-pwd:sbcIcePasswordForTests00001',
  'a=fingerprint:sha-256 AA:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
  'a=setup:active',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 41000 typ host',
].join('\n');

/** Meta's re-offer putting the call on hold (RFC 3264 §8.4: sendonly). */
export const META_SDP_HOLD = META_SDP_OFFER.replace('a=sendrecv', 'a=sendonly').replace('o=- 4611731400430051336 2', 'o=- 4611731400430051336 3');
/** The SBC's answer to it. */
export const AGENT_SDP_HOLD = AGENT_SDP_ANSWER.replace('a=rtcp-mux', 'a=recvonly\na=rtcp-mux').replace('o=sbc 1 1', 'o=sbc 1 2');

/** A SIP message for sipp's `<send>`: blank lines first, as sipp's scenarios write them. */
export const cdata = (text: string) => `<![CDATA[\n\n${text}\n]]>`;

const invite = (cseq: number, auth: boolean) =>
  `<send retrans="500">${cdata(`INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+[customer]@wa.meta.vc>;tag=[pid]WA[call_number]
To: <sip:[service]@wa.meta.vc>
Call-ID: [call_id]
CSeq: ${cseq} INVITE
Contact: <sip:+[customer]@[local_ip]:[local_port]>
Max-Forwards: 70
${auth ? '[authentication]\n' : ''}Content-Type: application/sdp
Content-Length: [len]

${META_SDP_OFFER}`)}</send>`;

/** The ACK of a final answer: outside the dialog for a non-2xx (RFC 3261 §17.1.1.3), inside it (Route set) for a 200. */
export const ack = (cseq: number, inDialog: boolean) =>
  `<send>${cdata(`ACK ${inDialog ? '[next_url]' : 'sip:[service]@[remote_ip]:[remote_port]'} SIP/2.0
${inDialog ? 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]' : '[last_Via:]'}
${inDialog ? '[routes]\n' : ''}[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: ${cseq} ACK
Max-Forwards: 70
Content-Length: 0
`)}</send>`;

/**
 * The caller gives up while it rings: 180, then CANCEL (RFC 3261 §9.1), the CANCEL's 200, the INVITE's 487 and its
 * ACK. `cseq`: the INVITE's.
 */
export const cancelWhileRinging = (cseq: number): string[] => [
  '<recv response="180"/>',
  '<pause milliseconds="300"/>',
  `<send>${cdata(`CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
To: <sip:[service]@wa.meta.vc>
[last_Call-ID:]
CSeq: ${cseq} CANCEL
Max-Forwards: 70
Content-Length: 0
`)}</send>`,
  '<recv response="200"/>',
  '<recv response="487"/>',
  ack(cseq, false),
];

const ok = sipResponse('200 OK');

export type MetaCallEnd = 'customer' | 'agent' | 'cancel' | { refused: number };

/**
 * Meta's side of a user-initiated call: INVITE, 401 and the INVITE again with credentials, then as `end` says:
 * the customer hangs up after `talkMs` (BYE, with Meta's x-wa-meta-call-duration), the agent does (BYE received),
 * the customer gives up while it rings (CANCEL, then 487), or the call is refused with that status.
 */
export function metaCall(end: MetaCallEnd, talkMs = 500, options: { hold?: boolean } = {}): string {
  const steps = [
    invite(1, false),
    '<recv response="100" optional="true"/>',
    '<recv response="401" auth="true"><action><ereg regexp="realm=&quot;[^&quot;]+&quot;.*qop=&quot;auth&quot;" search_in="hdr" header="WWW-Authenticate:" check_it="true" assign_to="challenge"/></action></recv>',
    ack(1, false),
    invite(2, true),
    '<recv response="100" optional="true"/>',
  ];
  if (typeof end === 'object') {
    steps.push('<recv response="180" optional="true"/>', `<recv response="${end.refused}"/>`, ack(2, false));
  } else if (end === 'cancel') {
    steps.push(...cancelWhileRinging(2));
  } else {
    steps.push(
      '<recv response="180" optional="true"/>',
      '<recv response="200" rrs="true"><action><ereg regexp="opus/48000" search_in="body" check_it="true" assign_to="answerSdp"/></action></recv>',
      ack(2, true),
    );
    if (options.hold) {
      // Meta puts the call on hold: a re-INVITE in the dialog, relayed to the agent's leg and its answer back.
      steps.push(
        '<pause milliseconds="200"/>',
        `<send retrans="500">${cdata(`INVITE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: 3 INVITE
Contact: <sip:+[customer]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${META_SDP_HOLD}`)}</send>`,
        '<recv response="100" optional="true"/>',
        '<recv response="200" rrs="true"><action><ereg regexp="a=recvonly" search_in="body" check_it="true" assign_to="holdAnswer"/></action></recv>',
        ack(3, true),
      );
    }
    if (end === 'customer') {
      steps.push(
        `<pause milliseconds="${talkMs}"/>`,
        sipRequest('BYE', { cseq: options.hold ? 4 : 3, routes: true, headers: [`x-wa-meta-call-duration: ${Math.round(talkMs / 1000)}`], retransMs: 500 }),
        '<recv response="200"/>',
      );
    } else {
      steps.push('<recv request="BYE"/>', ok);
    }
  }
  const refs = ['challenge', ...(typeof end === 'string' && end !== 'cancel' ? ['answerSdp'] : []), ...(options.hold ? ['holdAnswer'] : [])];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="meta-call">\n${steps.join('\n')}\n<Reference variables="${refs.join(',')}"/>\n</scenario>\n`;
}

/** The To tag of the contact centre's side of the call. */
const CC_TAG = '[pid]CC[call_number]';
const provisional = (status: string) => sipResponse(status, { toTag: CC_TAG, contact: true });

const checkedInvite = `<recv request="INVITE" rrs="true"><action>
  <ereg regexp="^ *wa:.+" search_in="hdr" header="X-Conversation-Id:" check_it="true" assign_to="conversation"/>
  <ereg regexp=".+" search_in="hdr" header="X-WhatsApp-Call-Id:" check_it="true" assign_to="waCall"/>
  <ereg regexp=".+" search_in="hdr" header="X-Queue:" check_it="true" assign_to="queue"/>
  <ereg regexp="a=fingerprint:sha-256" search_in="body" check_it="true" assign_to="offer"/>
</action></recv>`;

export type AgentLegMode = 'answer' | 'answer-and-hang-up' | 'ring' | 'busy-then-answer' | 'ring-until-cancelled' | 'answer-hold';

/**
 * The contact centre: `answer` (180, 200 with the SBC's SDP naming the agent, then waits for our BYE),
 * `answer-and-hang-up` (the agent ends it after `talkMs`), `ring` (180 until our CANCEL: 200, 487),
 * `busy-then-answer` (486 to the first INVITE, then as `answer`).
 */
export function agentLeg(mode: AgentLegMode, talkMs = 500): string {
  const steps: string[] = [];
  if (mode === 'busy-then-answer') {
    // Two calls to sipp (two Call-IDs, run with calls: 2): the first is busy, the second answered.
    steps.push(
      checkedInvite.replace('<action>', '<action>\n  <assignstr assign_to="call" value="[call_number]"/><strcmp assign_to="vsFirst" variable="call" value="1"/><test assign_to="isFirst" variable="vsFirst" compare="equal" value="0"/>'),
      '<nop next="busy" test="isFirst"/>',
    );
  } else {
    steps.push(checkedInvite);
  }
  steps.push(provisional('180 Ringing'));
  if (mode === 'ring' || mode === 'ring-until-cancelled') {
    // ring-until-cancelled: the CANCEL (and the 487's ACK) come from a process that did not send the INVITE.
    steps.push('<recv request="CANCEL"/>', ok, sipResponse('487 Request Terminated', { toTag: CC_TAG, cseq: 'CSeq: 1 INVITE' }), '<recv request="ACK"/>');
  } else {
    steps.push(
      sipResponse('200 OK', { retransMs: 500, toTag: CC_TAG, contact: true, headers: ['X-Agent-Id: [agent]'], body: { type: 'application/sdp', text: AGENT_SDP_ANSWER } }),
      '<recv request="ACK"><action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="ourFrom"/><ereg regexp=".*" search_in="hdr" header="To:" assign_to="theirTo"/></action></recv>',
    );
    if (mode === 'answer-hold') {
      steps.push(
        '<recv request="INVITE"><action><ereg regexp="a=sendonly" search_in="body" check_it="true" assign_to="holdOffer"/></action></recv>',
        sipResponse('200 OK', { retransMs: 500, contact: true, body: { type: 'application/sdp', text: AGENT_SDP_HOLD } }),
        '<recv request="ACK"/>',
      );
    }
    if (mode === 'answer-and-hang-up') {
      steps.push(
        `<pause milliseconds="${talkMs}"/>`,
        sipRequest('BYE', { cseq: 1, side: 'callee', retransMs: 500 }),
        '<recv response="200"/>',
      );
    } else {
      steps.push('<recv request="BYE"/>', ok);
    }
  }
  if (mode === 'busy-then-answer') {
    steps.push('<nop next="end"/>', '<label id="busy"/>', sipResponse('486 Busy Here', { toTag: '[pid]CCbusy[call_number]' }), '<recv request="ACK"/>', '<label id="end"/>');
  }
  const refs = ['conversation', 'waCall', 'queue', 'offer', ...(mode.startsWith('ring') ? [] : ['ourFrom', 'theirTo']), ...(mode === 'busy-then-answer' ? ['call', 'vsFirst', 'isFirst'] : []), ...(mode === 'answer-hold' ? ['holdOffer'] : [])];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="agent-leg">\n${steps.join('\n')}\n<Reference variables="${refs.join(',')}"/>\n</scenario>\n`;
}
