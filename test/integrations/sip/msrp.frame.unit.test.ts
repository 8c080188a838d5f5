/**
 * MSRP framing and SDP (RFC 4975), pure: the RFC's own examples (§4 SEND and its 200, §7.1.2 REPORT, §8.7 SDP)
 * parse as the RFC reads them, a stream cut anywhere frames the same, and what we build reads back.
 */
import { formatByteRange, MsrpFramer, msrpHeader, parseByteRange, readMsrpFrame, serializeMsrp, MsrpParseError } from '../../../integrations/sip/msrp.frame';
import { localMsrpUri, msrpAnswer, msrpMessageIdFor, msrpOffer, parseMsrpUri } from '../../../integrations/sip/msrp.sdp';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';
// RFC 4975 §4: Alice's SEND and Bob's 200.
const SEND = crlf([
  'MSRP a786hjs2 SEND',
  'To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp',
  'From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp',
  'Message-ID: 87652491',
  'Byte-Range: 1-25/25',
  'Content-Type: text/plain',
  '',
  'Hey Bob, are you there?',
  '-------a786hjs2$',
]);
const OK = crlf([
  'MSRP a786hjs2 200 OK',
  'To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp',
  'From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp',
  '-------a786hjs2$',
]);
// §7.1.2: a REPORT has no body.
const REPORT = crlf([
  'MSRP dkei38sd REPORT',
  'To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp',
  'From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp',
  'Message-ID: 12339sdqwer',
  'Byte-Range: 1-106/106',
  'Status: 000 200 OK',
  '-------dkei38sd$',
]);

describe('MSRP framing', () => {
  it('reads the RFC 4975 §4 SEND, its 200 and a REPORT', () => {
    const frames = new MsrpFramer().push(Buffer.from(SEND + OK + REPORT));
    expect(frames).toHaveLength(3);
    const [send, ok, report] = frames;
    expect(send).toMatchObject({ kind: 'request', transactionId: 'a786hjs2', method: 'SEND', continuation: '$' });
    expect(send!.kind === 'request' && send!.body!.toString()).toBe('Hey Bob, are you there?');
    expect(msrpHeader(send!, 'message-id')).toBe('87652491');
    expect(ok).toMatchObject({ kind: 'response', transactionId: 'a786hjs2', status: 200, comment: 'OK' });
    expect(report).toMatchObject({ kind: 'request', method: 'REPORT' });
    expect(report!.kind === 'request' && report!.body).toBeUndefined();
    expect(msrpHeader(report!, 'Status')).toBe('000 200 OK');
  });

  it('frames the same from a stream cut into single bytes, bodies counted in bytes', () => {
    const body = 'Ünïcödé with -------a786hjs2 inside but not at a line start';
    const text = SEND.replace('Hey Bob, are you there?', body).replace('1-25/25', `1-${Buffer.byteLength(body)}/${Buffer.byteLength(body)}`);
    const framer = new MsrpFramer();
    const frames = [...Buffer.from(text + OK)].flatMap((byte) => framer.push(Buffer.from([byte])));
    expect(frames.map((f) => f.kind)).toEqual(['request', 'response']);
    expect(frames[0]!.kind === 'request' && frames[0]!.body!.toString('utf8')).toBe(body);
  });

  it('builds what it reads: a chunk with `+`, a bodiless request, a response', () => {
    const chunk = { kind: 'request' as const, transactionId: 'tx12345678', method: 'SEND', continuation: '+' as const, body: Buffer.from('part'), headers: [['To-Path', 'msrp://a:1/s;tcp'], ['From-Path', 'msrp://b:9/t;tcp'], ['Message-ID', 'm1'], ['Byte-Range', '1-4/10'], ['Content-Type', 'text/plain']] as [string, string][] };
    expect(serializeMsrp(chunk).toString()).toBe(crlf(['MSRP tx12345678 SEND', 'To-Path: msrp://a:1/s;tcp', 'From-Path: msrp://b:9/t;tcp', 'Message-ID: m1', 'Byte-Range: 1-4/10', 'Content-Type: text/plain', '', 'part', '-------tx12345678+']));
    expect(readMsrpFrame(serializeMsrp(chunk))!.frame).toEqual(chunk);
    const bare = { kind: 'request' as const, transactionId: 'tx87654321', method: 'SEND', continuation: '$' as const, headers: [['To-Path', 'msrp://a:1/s;tcp'], ['From-Path', 'msrp://b:9/t;tcp'], ['Message-ID', 'm2']] as [string, string][] };
    expect(serializeMsrp(bare).toString()).toMatch(/Message-ID: m2\r\n-------tx87654321\$\r\n$/);
    expect(readMsrpFrame(serializeMsrp(bare))!.frame).toEqual(bare);
    expect(readMsrpFrame(Buffer.from(OK))!.length).toBe(Buffer.byteLength(OK));
  });

  it('waits for the rest of a frame and refuses garbage', () => {
    expect(readMsrpFrame(Buffer.from(SEND.slice(0, -5)))).toBeNull();
    expect(() => readMsrpFrame(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(MsrpParseError);
    expect(() => readMsrpFrame(Buffer.from(SEND.replace('-------a786hjs2$', '-------a786hjs2!')))).toThrow(MsrpParseError);
  });

  it('reads and writes Byte-Range (§7.1.1)', () => {
    expect(parseByteRange('1-2048/5279')).toEqual({ start: 1, end: 2048, total: 5279 });
    expect(parseByteRange(undefined)).toEqual({ start: 1, end: '*', total: '*' });
    expect(formatByteRange({ start: 4097, end: 5279, total: 5279 })).toBe('4097-5279/5279');
    expect(() => parseByteRange('1-x/3')).toThrow(MsrpParseError);
  });
});

describe('MSRP in SDP (RFC 4975 §8)', () => {
  const callId = '1.0.d2E6MTIzOjQ1Ng@whatsapp-connector';

  it('offers one message media, plain text, our path, and says we connect (RFC 6135)', () => {
    const offer = msrpOffer('192.0.2.10', callId).split('\r\n');
    expect(offer).toContain('m=message 9 TCP/MSRP *');
    expect(offer).toContain('c=IN IP4 192.0.2.10');
    expect(offer).toContain('a=accept-types:text/plain');
    expect(offer).toContain(`a=path:${localMsrpUri('192.0.2.10', callId)}`);
    expect(offer).toContain('a=setup:active');
    // Derived from the call: any worker rebuilds the same URI; another call has another.
    expect(localMsrpUri('192.0.2.10', callId)).toBe(localMsrpUri('192.0.2.10', callId));
    expect(localMsrpUri('192.0.2.10', callId)).not.toBe(localMsrpUri('192.0.2.10', callId.replace(/^1/, '2')));
    expect(parseMsrpUri(localMsrpUri('192.0.2.10', callId))).toMatchObject({ host: '192.0.2.10', port: 9, transport: 'tcp' });
    expect(msrpMessageIdFor(callId, 3)).toBe(msrpMessageIdFor(callId, 3));
    expect(msrpMessageIdFor(callId, 3)).not.toBe(msrpMessageIdFor(callId, 4));
  });

  it('reads the RFC 4975 §8.7 answer, and says why an answer is unusable', () => {
    const answer = crlf(['v=0', 'o=bob 2890844656 2890844656 IN IP4 bob.example.com', 's= -', 'c=IN IP4 bob.example.com', 't=0 0',
      'm=message 8888 TCP/MSRP *', 'a=accept-types:message/cpim text/plain text/html', 'a=path:msrp://bob.example.com:8888/9di4eae923wzd;tcp']);
    expect(msrpAnswer(answer, callId, '192.0.2.10')).toEqual({ ok: true, session: { localUri: localMsrpUri('192.0.2.10', callId), remotePath: ['msrp://bob.example.com:8888/9di4eae923wzd;tcp'] } });
    expect(msrpAnswer('v=0\r\nm=audio 4000 RTP/AVP 0\r\n', callId, 'h')).toMatchObject({ ok: false, problem: expect.stringContaining('no m=message') });
    expect(msrpAnswer(answer.replace('text/plain ', ''), callId, 'h')).toMatchObject({ ok: false, problem: expect.stringContaining('does not accept text/plain') });
    expect(msrpAnswer(answer.replace(';tcp', ';tls'), callId, 'h')).toMatchObject({ ok: false, problem: expect.stringContaining('only tcp') });
    expect(msrpAnswer(answer.replace(/a=path:.*\r\n/, ''), callId, 'h')).toMatchObject({ ok: false, problem: 'the answer has no a=path' });
    expect(msrpAnswer(answer.replace('m=message 8888', 'm=message 0'), callId, 'h')).toMatchObject({ ok: false });
  });
});
