/**
 * sipp scenarios for business-initiated WhatsApp calls: `contactCentreDialsOut` plays the contact centre's SIP
 * connector placing an agent's call to a customer through the connector, `metaTakesBusinessCall` plays Meta's SIP
 * server receiving it: a 407 digest challenge first, as Meta documents, then ringing and the customer's answer (or
 * a decline). https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { sipRequest } from './sipp';

/** The SBC's offer for a call to a WhatsApp user: WebRTC media (ICE, DTLS-SRTP, Opus), as Meta requires. */
export const SBC_SDP_OFFER = [
  'v=0',
  'o=sbc 2 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 42000 UDP/TLS/RTP/SAVPF 111 126',
  'c=IN IP4 127.0.0.1',
  'a=ice-ufrag:sBcO',
  'a=ice-pwd:sbcOfferPasswordForTests0001',
  'a=fingerprint:sha-256 BB:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
  'a=setup:actpass',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:126 telephone-event/8000',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 42000 typ host',
].join('\n');

/** The customer's phone answering through Meta. */
export const META_SDP_ANSWER = [
  'v=0',
  'o=- 7611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:mEtA',
  'a=ice-pwd:metaAnswerPasswordForTests01',
  'a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
  'a=setup:active',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 43000 typ host',
].join('\n');

export const META_REALM = 'wa.meta.vc';
export const META_NONCE = 'bWV0YU5vbmNlRm9yVGVzdHM';

const cdata = (text: string) => `<![CDATA[\n\n${text}\n]]>`;
const ok = `<send>${cdata(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
`)}</send>`;

/** `reason`: a regexp the Reason header must match; '' for a refusal relayed from Meta (no Reason of ours). */
export type DialOutEnd = 'customer' | 'agent' | { refused: number; reason: string };

/**
 * The contact centre: an agent dials `[customer]` (Request-URI user, E.164 with +), offering the SBC's SDP; then as
 * `end` says: the customer hangs up (our BYE arrives), the agent does after `talkMs`, or the connector refuses with
 * that status and a Reason header matching `reason`. `agentLine`: the header naming the agent (a malformed one in tests).
 */
export function contactCentreDialsOut(end: DialOutEnd, talkMs = 500, agentLine = 'X-Agent-Id: [agent]'): string {
  const steps = [
    `<send retrans="500">${cdata(`INVITE sip:+[customer]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[agent]@cc.example.com>;tag=[pid]CC[call_number]
To: <sip:+[customer]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[agent]@[local_ip]:[local_port]>
Max-Forwards: 70
${agentLine}
Content-Type: application/sdp
Content-Length: [len]

${SBC_SDP_OFFER}`)}</send>`,
    '<recv response="100" optional="true"/>',
  ];
  if (typeof end === 'object') {
    steps.push(
      '<recv response="180" optional="true"/>',
      end.reason
        ? `<recv response="${end.refused}"><action><ereg regexp="${end.reason}" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/></action></recv>`
        : `<recv response="${end.refused}"/>`,
      `<send>${cdata(`ACK sip:+[customer]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
`)}</send>`,
    );
    return `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="cc-dials-out">\n${steps.join('\n')}\n${end.reason ? '<Reference variables="reason"/>\n' : ''}</scenario>\n`;
  }
  steps.push(
    '<recv response="180" optional="true"/>',
    '<recv response="200" rrs="true"><action><ereg regexp="a=ice-ufrag:mEtA" search_in="body" check_it="true" assign_to="answerSdp"/></action></recv>',
    `<send>${cdata(`ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
`)}</send>`,
  );
  if (end === 'agent') {
    steps.push(
      `<pause milliseconds="${talkMs}"/>`,
      sipRequest('BYE', { cseq: 2, routes: true, retransMs: 500 }),
      '<recv response="200"/>',
    );
  } else {
    steps.push('<recv request="BYE"/>', ok);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="cc-dials-out">\n${steps.join('\n')}\n<Reference variables="answerSdp"/>\n</scenario>\n`;
}

export type MetaTakesEnd = 'customer' | 'agent' | 'decline';

/**
 * Meta's SIP server: the first INVITE gets a 407 (Proxy-Authenticate, MD5, qop=auth), the second must carry
 * Proxy-Authorization; then 180 and the customer answers (200 with Meta's SDP) and hangs up after `talkMs`, or the
 * agent's BYE comes, or the customer declines (603).
 */
export function metaTakesBusinessCall(end: MetaTakesEnd, talkMs = 500): string {
  const response = (status: string, extra = '', body = '') => `<send${status.startsWith('200') ? ' retrans="500"' : ''}>${cdata(`SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]META[call_number]
[last_Call-ID:]
[last_CSeq:]
${extra}${body ? 'Content-Type: application/sdp\n' : ''}Content-Length: ${body ? '[len]' : '0'}
${body ? `\n${body}` : ''}`)}</send>`;
  const steps = [
    '<recv request="INVITE"/>',
    response('407 Proxy Authentication Required', `Proxy-Authenticate: Digest realm="${META_REALM}", nonce="${META_NONCE}", algorithm=MD5, qop="auth"\n`),
    '<recv request="ACK"/>',
    '<recv request="INVITE" rrs="true"><action><ereg regexp="^ *Digest .*username=&quot;\\+[0-9]+&quot;" search_in="hdr" header="Proxy-Authorization:" check_it="true" assign_to="credentials"/></action></recv>',
    response('180 Ringing'),
  ];
  if (end === 'decline') {
    steps.push(response('603 Decline'), '<recv request="ACK"/>');
  } else {
    steps.push(
      response('200 OK', 'Contact: <sip:meta@[local_ip]:[local_port];transport=[transport]>\n', META_SDP_ANSWER),
      '<recv request="ACK"><action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="ourFrom"/><ereg regexp=".*" search_in="hdr" header="To:" assign_to="theirTo"/></action></recv>',
    );
    if (end === 'customer') {
      steps.push(
        `<pause milliseconds="${talkMs}"/>`,
        sipRequest('BYE', { cseq: 1, side: 'callee', headers: [`x-wa-meta-call-duration: ${Math.round(talkMs / 1000)}`], retransMs: 500 }),
        '<recv response="200"/>',
      );
    } else {
      steps.push('<recv request="BYE"/>', ok);
    }
  }
  const refs = ['credentials', ...(end === 'decline' ? [] : ['ourFrom', 'theirTo'])];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="meta-takes-call">\n${steps.join('\n')}\n<Reference variables="${refs.join(',')}"/>\n</scenario>\n`;
}
