import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerClientErrors } from '../../api/client-errors';

/**
 * What Node's HTTP parser refuses before express: the three answers of api/client-errors.ts, on a bare server (the
 * service's own, through the real app, is in test/security/inputs-headers-logs.test.ts for 431 and 400).
 */
let server: Server;
beforeAll(async () => {
  // Short deadlines, checked often, so a request that never finishes its headers times out within the test.
  server = answerClientErrors(createServer({ headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 50 }, (_req, res) => res.end('ok')));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
});
afterAll(async () => new Promise<void>((closed) => server.close(() => closed())));

function exchange(bytes: string): Promise<{ status: number; contentType: string; body: { code?: string; status?: number } }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk)).on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '', body: body ? JSON.parse(body) : {} });
    });
  });
}

describe("requests Node's parser refuses", () => {
  it.each([
    ['headers over 16 KiB', `GET / HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431, 'request_header_too_large'],
    ['a header line without a colon', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400, 'invalid_request'],
    ['headers that never end', 'GET / HTTP/1.1\r\nHost: x\r\n', 408, 'request_timeout'],
  ])('answers %s as a problem document', async (_what, bytes, status, code) => {
    expect(await exchange(bytes)).toEqual({ status, contentType: 'application/problem+json', body: expect.objectContaining({ status, code }) });
  });
});
