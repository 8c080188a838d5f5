/**
 * sipp as the contact centre's SIP side in session mode (RFC 4975 over SIP): it checks that the INVITE offers an MSRP
 * session, answers naming the agent with an SDP answer whose a=path is the test's MSRP peer (test/support/msrp-peer.ts,
 * which sipp cannot be), ACKs, and waits for our BYE. sipp speaks no MSRP: the peer carries the chat.
 */
import { sipResponse } from './sipp';

export function msrpAnswerScenario(peerPath: string): string {
  if (!/^msrp:\/\/127\.0\.0\.1:\d+\/\w+;tcp$/.test(peerPath)) throw new Error(`unexpected peer path ${peerPath}`);
  const port = /:(\d+)\//.exec(peerPath)![1];
  const sdp = ['v=0', 'o=cc 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=message ${port} TCP/MSRP *`, 'a=accept-types:text/plain', `a=path:${peerPath}`, 'a=setup:passive'].join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<scenario name="msrp-answer">
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="application/sdp" search_in="hdr" header="Content-Type:" check_it="true" assign_to="sdp"/>
      <ereg regexp="m=message [0-9]+ TCP/MSRP [*]" search_in="body" check_it="true" assign_to="media"/>
      <ereg regexp="a=path:msrp://[^ ]+;tcp" search_in="body" check_it="true" assign_to="theirPath"/>
    </action>
  </recv>
  ${sipResponse('200 OK', { toTag: '[pid]SIPpTag01[call_number]', contact: true, headers: ['X-Agent-Id: [agent]'], body: { type: 'application/sdp', text: sdp } })}
  <recv request="ACK"/>
  <recv request="BYE"/>
  ${sipResponse('200 OK')}
  <Reference variables="sdp,media,theirPath"/>
</scenario>
`;
}
