/**
 * sipp as the business's SIP server calling a WhatsApp user straight through the simulator's SIP side, playing Meta's
 * (the connector's own dial-out, sipp as contact centre and as Meta, is sipp-business-calls.ts): the INVITE,
 * Meta's 407 answered with digest credentials under the number's SIP password, then `end`: refused 403 (Reason
 * 138006, no permission), blocked 403 (Reason 131026), declined 603, cancelled (200, 487), or answered and hung up.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import type { BrokerSimulator } from '../../simulator/broker-simulator';
import { sipRequest, startSipp } from './sipp';
import { ack, cancelWhileRinging, cdata } from './sipp-calls';

export type BusinessCallEnd = 'refused' | 'blocked' | 'declined' | 'answered' | 'cancelled';

const invite = (business: string, cseq: number, auth: boolean) => `<send retrans="500">${cdata(`INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+${business}@connector.example.com>;tag=[pid]BIZ[call_number]
To: <sip:[service]@wa.meta.vc>
Call-ID: [call_id]
CSeq: ${cseq} INVITE
Contact: <sip:+${business}@[local_ip]:[local_port]>
Max-Forwards: 70
${auth ? '[authentication]\n' : ''}Content-Type: application/sdp
Content-Length: [len]

v=0
o=sbc 1 1 IN IP4 127.0.0.1
s=-
t=0 0
m=audio 41000 UDP/TLS/RTP/SAVPF 111
c=IN IP4 127.0.0.1
a=setup:actpass
a=rtpmap:111 opus/48000/2`)}</send>`;

/**
 * The business calls: Meta's 407 Proxy-Authenticate answered with credentials (sipp's [authentication] writes a
 * Proxy-Authorization for a 407), then `end`: refused with 403, declined 603, or answered and hung up.
 */
function businessCall(end: BusinessCallEnd, business: string): string {
  const steps = [invite(business, 1, false), '<recv response="100" optional="true"/>', '<recv response="407" auth="true"><action><ereg regexp="realm=&quot;wa.meta.vc&quot;" search_in="hdr" header="Proxy-Authenticate:" check_it="true" assign_to="challenge"/></action></recv>', '<Reference variables="challenge"/>', ack(1, false), invite(business, 2, true), '<recv response="100" optional="true"/>'];
  // Meta's refusals: the code in the Reason header (138006 no permission, 131026 the user blocked).
  const code = end === 'refused' ? '138006' : end === 'blocked' ? '131026' : undefined;
  if (code) steps.push(`<recv response="403"><action><ereg regexp="${code}" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/></action></recv>`, ack(2, false));
  if (end === 'declined') steps.push('<recv response="180"/>', '<recv response="603"/>', ack(2, false));
  if (end === 'cancelled') steps.push(...cancelWhileRinging(2));
  if (end === 'answered') {
    steps.push(
      '<recv response="180"/>',
      '<recv response="200" rrs="true"><action><ereg regexp="a=fingerprint:sha-256" search_in="body" check_it="true" assign_to="fp"/></action></recv>',
      ack(2, true),
      '<pause milliseconds="300"/>',
      sipRequest('BYE', { cseq: 3, retransMs: 500 }),
      '<recv response="200"/>',
    );
  }
  const refs = end === 'refused' || end === 'blocked' ? ['reason'] : end === 'answered' ? ['fp'] : [];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="business-call">\n${steps.join('\n')}\n${refs.length ? `<Reference variables="${refs.join(',')}"/>` : ''}\n</scenario>\n`;
}

/** The business (sipp) calls `to` through the simulator's SIP side with the number's SIP password; sipp's report. */
export async function businessCallTo(sim: BrokerSimulator, call: { end: BusinessCallEnd; to: string; business: string; password: string }) {
  const address = await sim.sip.address();
  const sipp = await startSipp({ scenario: 'custom:business-call', scenarioXml: businessCall(call.end, call.business), transport: 'udp', remote: `127.0.0.1:${address.port}`, service: `+${call.to}`, auth: { username: call.business, password: call.password }, timeoutSeconds: 20 });
  try {
    return await sipp.finished();
  } finally {
    await sipp.stop();
  }
}
