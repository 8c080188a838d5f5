/**
 * MESSAGEs that belong to no chat of ours: one with our Call-ID but a To tag that is not ours (RFC 3261 §12.2.2: a
 * request for a dialog the UAS does not know gets 481), and one outside any dialog (no To tag, a Call-ID of the far
 * end's), which gets the same 481: there is no chat to put it in. Neither reaches the agent chat; a UDP
 * retransmission of the same request gets the same answer.
 */
import { createSocket } from 'node:dgram';
import { findFreePort } from '../../../scripts/dev-servers';
import { startSipRouting, type SipRouting } from '../../../integrations/sip/sip.routing';
import { callIdFor } from '../../../integrations/sip/sip.dialog';

const conversationId = 'wa:106540352242922:15551234569';

function message(port: number, from: number, callId: string, toTag: string | undefined, branch: string): string {
  const body = 'Hello from nowhere';
  return [
    `MESSAGE sip:whatsapp@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${from};branch=z9hG4bK-${branch}`,
    'From: <sip:agent-1@cc.example>;tag=cc1',
    `To: <sip:whatsapp@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    'CSeq: 7 MESSAGE',
    'Max-Forwards: 70',
    'Content-Type: text/plain',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

test('a MESSAGE outside any dialog of ours, or with a To tag not ours, is 481 and reaches nobody', async () => {
  const port = await findFreePort();
  const heard: string[] = [];
  const routing = (await startSipRouting(
    { SIP_CONNECTOR_URI: 'sip:queue@127.0.0.1:9', SIP_LOCAL_HOST: '127.0.0.1', SIP_LOCAL_PORT: port, SIP_INVITE_TIMEOUT_MS: 5_000, SIP_AGENT_HEADER: 'X-Agent-Id', SIP_CHAT_MODE: 'message' },
    { onAgentMessage: async (m) => (heard.push(m.body), { status: 202, reason: 'Accepted' }) },
  )) as SipRouting;
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const answers: string[] = [];
    socket.on('message', (data) => answers.push(data.toString('utf8').split('\r\n')[0]!));
    const send = (text: string) => new Promise<void>((resolve, reject) => socket.send(text, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    const from = socket.address().port;
    const outside = message(port, from, 'abc123@cc.example', undefined, 'outside');
    await send(outside);
    await send(outside); // the retransmission
    await send(message(port, from, callIdFor(conversationId, 1), 'not-our-tag', 'foreign-tag'));
    const deadline = Date.now() + 5_000;
    while (answers.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answers).toEqual(Array(3).fill('SIP/2.0 481 Call/Transaction Does Not Exist'));
    expect(heard).toEqual([]);
  } finally {
    socket.close();
    await routing.agent.close();
  }
}, 30_000);
