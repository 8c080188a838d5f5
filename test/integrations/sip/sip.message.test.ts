import { branchFor, buildCancel, buildInvite, buildResponse, callIdFor, conversationIdOf, dialogFromAnswer, localTagFor } from '../../../integrations/sip/sip.dialog';
import { parseNameAddr, parseUri, parseVia, tagOf } from '../../../integrations/sip/sip.headers';
import { header, headerValues, parseMessage, serializeMessage, SipParseError, SipStreamFramer, type SipRequest, type SipResponse } from '../../../integrations/sip/sip.message';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

describe('SIP messages (RFC 3261 §7)', () => {
  it('expands compact header names, unfolds continuation lines and splits list headers outside quotes and brackets', () => {
    const message = parseMessage(
      crlf([
        'SIP/2.0 200 OK',
        'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb',
        'Via: SIP/2.0/TCP 10.0.0.3:5070;branch=z9hG4bKc',
        'f: "Doe, Jane" <sip:jane@example.com>;tag=abc',
        't: <sip:queue@cc.example.com>',
        '  ;tag=xyz',
        'i: call-1@host',
        'm: "Agent, Seven" <sip:agent-7@10.0.0.9:5060;transport=tcp>',
        'l: 0',
        '',
        '',
      ]),
    ) as SipResponse;
    expect(message.status).toBe(200);
    expect(headerValues(message, 'Via').map((v) => parseVia(v).params.branch)).toEqual(['z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc']);
    expect(header(message, 'Call-ID')).toBe('call-1@host');
    expect(tagOf(header(message, 'To'))).toBe('xyz');
    expect(parseNameAddr(header(message, 'From')!)).toEqual({ display: 'Doe, Jane', uri: 'sip:jane@example.com', params: { tag: 'abc' } });
    expect(headerValues(message, 'Contact')).toHaveLength(1);
    expect(parseUri(parseNameAddr(headerValues(message, 'Contact')[0]!).uri)).toMatchObject({ user: 'agent-7', port: 5060, params: { transport: 'tcp' } });
  });

  it('counts Content-Length in bytes, not characters, both ways', () => {
    const body = '{"greeting":"¡Hola! Soy Zoë"}';
    const bytes = serializeMessage({ status: 200, reason: 'OK', headers: [['Content-Length', '1']], body });
    expect(bytes.toString('utf8')).toContain(`Content-Length: ${Buffer.byteLength(body)}\r\n`);
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length);
    expect(parseMessage(bytes)).toMatchObject({ body });
  });

  it('refuses a start line it cannot read, a body shorter than declared, and a header that would inject a line', () => {
    expect(() => parseMessage(crlf(['HELLO WORLD', '', '']))).toThrow(SipParseError);
    expect(() => parseMessage(crlf(['SIP/2.0 200 OK', 'Content-Length: 10', '', 'abc']))).toThrow(/exceeds/);
    expect(() => serializeMessage({ method: 'BYE', uri: 'sip:a@b', headers: [['X-Queue', 'sales\r\nVia: evil']], body: '' })).toThrow(/line break/);
  });

  it('cuts a TCP stream into messages by Content-Length, across chunk boundaries and keep-alive CRLFs', () => {
    const one = serializeMessage({ status: 180, reason: 'Ringing', headers: [], body: '' });
    const two = serializeMessage({ status: 200, reason: 'OK', headers: [], body: 'ünïcode' });
    const stream = Buffer.concat([Buffer.from('\r\n\r\n'), one, two]);
    const framer = new SipStreamFramer();
    const frames = [...framer.push(stream.subarray(0, 30)), ...framer.push(stream.subarray(30, stream.length - 3)), ...framer.push(stream.subarray(stream.length - 3))];
    expect(frames.map((f) => (parseMessage(f) as SipResponse).status)).toEqual([180, 200]);
    expect((parseMessage(frames[1]!) as SipResponse).body).toBe('ünïcode');
  });
});

describe('our requests and dialogs', () => {
  const invite = buildInvite({
    requestUri: 'sip:queue@127.0.0.1:5099;transport=tcp',
    callId: callIdFor('wa:1065:15551234567', 2, 7),
    fromUri: 'sip:15551234567@127.0.0.1',
    transport: 'tcp',
    local: { host: '127.0.0.1', port: 5062 },
    extraHeaders: [['X-Queue', 'sales']],
  });

  it('derives the Call-ID, tag and branch from the conversation, so a retried attempt repeats the same call', () => {
    const callId = header(invite, 'Call-ID')!;
    expect(conversationIdOf(callId)).toBe('wa:1065:15551234567');
    expect(conversationIdOf('random@elsewhere')).toBeUndefined();
    expect(tagOf(header(invite, 'From'))).toBe(localTagFor(callId));
    expect(parseVia(header(invite, 'Via')!).params.branch).toBe(branchFor(callId, 1, 'INVITE'));
    expect(callIdFor('wa:1065:15551234567', 2, 8)).not.toBe(callId);
  });

  it('builds a CANCEL on the INVITE’s branch and CSeq number (§9.1)', () => {
    const cancel = buildCancel(invite);
    expect(cancel).toMatchObject({ method: 'CANCEL', uri: invite.uri });
    expect(header(cancel, 'Via')).toBe(header(invite, 'Via'));
    expect(header(cancel, 'CSeq')).toBe('1 CANCEL');
  });

  it('takes the dialog from a 2xx: remote tag and target, the route set reversed', () => {
    const answer: SipResponse = {
      status: 200,
      reason: 'OK',
      headers: [
        ['To', `${header(invite, 'To')};tag=far`],
        ['Record-Route', '<sip:p1.example.com;lr>, <sip:p2.example.com;lr>'],
        ['Contact', '<sip:agent-7@10.1.1.1:5080;transport=tcp>'],
      ],
      body: '',
    };
    expect(dialogFromAnswer(invite, answer, 'wa:1065:15551234567', 'tcp')).toMatchObject({
      remoteTag: 'far',
      remoteTarget: 'sip:agent-7@10.1.1.1:5080;transport=tcp',
      routeSet: ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>'],
      localSeq: 1,
    });
  });

  it('answers a request with its Via, From, Call-ID and CSeq, adding our tag to To', () => {
    const bye: SipRequest = { method: 'BYE', uri: 'sip:x', headers: [['Via', 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:c@d>'], ['Call-ID', 'c1'], ['CSeq', '5 BYE']], body: '' };
    const ok = buildResponse(bye, 200, 'OK');
    expect([header(ok, 'Via'), header(ok, 'CSeq'), tagOf(header(ok, 'To'))]).toEqual(['SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq', '5 BYE', localTagFor('c1')]);
  });
});
