/**
 * Page mode (SIP_CHAT_MODE=message, RFC 3428) as a contact centre's desktop really writes: UTF-8 with emoji, a
 * `charset` parameter without a space, `message/cpim` (RFC 3862) around the text, a type nobody can read, an empty
 * body, and a reply longer than WhatsApp's 4,096-character text. sipp plays the desktop; the tests check the
 * answers it got, the MESSAGEs it received, and what reached the customer at the simulator.
 */
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import type { SippMessage } from '../support/sipp';
import type { ChatStep } from '../support/sipp-chat';
import { pageModeChat } from '../support/page-mode-chat';
import { eventually } from '../support/workflow-env';

let nextCustomer = 15559500000 + Math.floor(Math.random() * 400_000);
const newCustomer = () => String((nextCustomer += 1));
const path = (conversationId: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId)}${rest}`;
const WELCOME = 'Welcome! An agent will be with you shortly.';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const chatService = (steps: ChatStep[], afterBye: Extract<ChatStep, { kind: 'write' }>[] = []) => pageModeChat(steps, { welcome: WELCOME, cleanups, afterBye });

const textsTo = (rig: ServiceRig, customer: string) =>
  rig.simulator.sent().filter((m) => m.to === customer && m.body.type === 'text').map((m) => (m.body as { text: { body: string } }).text.body);
const bodyOf = (message: SippMessage) => message.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();
const responses = (messages: SippMessage[]) => messages.filter((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 ') && m.header('CSeq')?.endsWith('MESSAGE') && Number.parseInt(m.header('CSeq')!, 10) >= 11);

/** RFC 3862 §2-3: the message headers, a blank line, then the encapsulated MIME object (its headers, a blank line, the text). */
const cpim = (text: string) => ['From: Agent One <sip:agent-1@cc.example>', 'To: <sip:whatsapp@connector.example>', 'DateTime: 2026-12-01T05:00:00Z', '', 'Content-Type: text/plain; charset=utf-8', '', text].join('\n');

describe('page mode: what a desktop writes', () => {
  jest.setTimeout(150_000);

  it('UTF-8 and message/cpim reach WhatsApp as written; other types are 415 with Accept, an empty body 400, a reply over 4,096 characters 413 with a notice, one after the BYE 481', async () => {
    const emoji = 'Olá Ada 👋 — votre colis arrive demain 📦 (日本語も大丈夫)';
    const wrapped = 'Merci pour votre patience 🙏';
    const { rig, sipp } = await chatService([
      { kind: 'take' }, // the customer's message
      { kind: 'take' }, // the welcome
      { kind: 'write', body: emoji, cseq: 11, expect: 202, contentType: 'text/plain;charset=UTF-8' },
      { kind: 'write', body: cpim(wrapped), cseq: 12, expect: 202, contentType: 'message/cpim' },
      { kind: 'write', body: '{"text":"hi"}', cseq: 13, expect: 415, contentType: 'application/vnd.example.chat+json' },
      { kind: 'write', body: '', cseq: 14, expect: 400 },
      { kind: 'write', body: 'x'.repeat(4097), cseq: 15, expect: 413 },
    ], [{ kind: 'write', body: 'Are you still there?', cseq: 16, expect: 481 }]); // in the dialog our BYE ended
    const customer = newCustomer();
    const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
    const written = 'Bonjour 😊 ma commande nº 1234 est arrivée cassée 💔';
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text: written });

    await eventually(() => textsTo(rig, customer), (texts) => texts.includes(wrapped), 45_000);
    await eventually(() => rig.request('GET', path(id, '/messages')), (r) => (r.body.messages as unknown[]).length >= 3, 10_000);
    // Time for anything else the refused ones might have let through (sends are paced 1 s apart on this rig).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(report.exitCode).toBe(0);

    // The customer got the welcome and the two readable replies, as written, nothing else.
    expect(textsTo(rig, customer)).toEqual([WELCOME, emoji, wrapped]);
    const answers = responses(report.messages);
    expect(answers.map((m) => m.startLine)).toEqual([
      'SIP/2.0 202 Accepted',
      'SIP/2.0 202 Accepted',
      'SIP/2.0 415 Unsupported Media Type',
      'SIP/2.0 400 Empty Message',
      'SIP/2.0 413 Request Entity Too Large',
      'SIP/2.0 481 Call/Transaction Does Not Exist',
    ]);
    // RFC 3261 §8.2.3 (RFC 3428 §7 defers to it; §9 Table 1 makes Accept mandatory in a 415): a 415 lists what would be understood.
    expect(answers[2]!.header('Accept')).toBe('text/plain, message/cpim');
    expect(answers[4]!.header('Warning')).toMatch(/^399 whatsapp-connector "invalid_request: WhatsApp takes a text of at most 4,096 characters; this one has 4,097/);

    // The customer's UTF-8 text reached the agent byte for byte, its length counted in bytes.
    const messages = report.received('MESSAGE');
    const first = messages.find((m) => m.header('X-Chat-Origin') === 'customer')!;
    expect(bodyOf(first)).toBe(written);
    expect(Number(first.header('Content-Length'))).toBe(Buffer.byteLength(written, 'utf8'));
    // The agent is told why the long reply went nowhere, in the session, before the conversation closes.
    const notices = messages.filter((m) => m.header('X-Chat-Origin') === 'system').map((m) => [m.header('X-Chat-Notice'), bodyOf(m)]);
    expect(notices).toEqual([
      ['refused', expect.stringMatching(/^\[system\] Not sent \(invalid_request\): WhatsApp takes a text of at most 4,096 characters; this one has 4,097/)],
      ['closed', '[system] The conversation was closed.'],
    ]);
  });

  it('a MESSAGE retransmitted before its answer (UDP Timer E) is answered 202 twice and reaches WhatsApp once', async () => {
    const reply = 'On it, one moment ⏳';
    const { rig, sipp } = await chatService([
      { kind: 'take' },
      { kind: 'take' },
      { kind: 'write', body: reply, cseq: 11, expect: 202, retransmit: 'before-answer' },
    ]);
    const customer = newCustomer();
    const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Ada', text: 'Hello?' });
    await eventually(() => textsTo(rig, customer), (texts) => texts.includes(reply), 45_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // room for a second copy (paced 1 s apart)
    expect((await rig.requestAs('agent', 'POST', path(id, '/close'), {})).status).toBe(200);
    const report = await sipp.finished();
    expect(report.errors).toBe('');
    expect(textsTo(rig, customer)).toEqual([WELCOME, reply]);
    expect(responses(report.messages).map((m) => m.startLine)).toEqual(['SIP/2.0 202 Accepted', 'SIP/2.0 202 Accepted']);
    const ids = responses(report.messages).map((m) => m.header('X-Message-Id'));
    expect(ids[0]).toBe(ids[1]);
  });
});
