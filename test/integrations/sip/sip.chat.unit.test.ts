/** Page-mode chat lines and the agent's commands (pure). */
import { agentText, chatContent, originOf, parseAgentCommand, reactionText, replyText, templateListText } from '../../../integrations/sip/sip.chat';
import type { ChatLine } from '../../../integrations/sip/sip.types';

const call = { callId: '1.0.d2E6MTIz@whatsapp-connector' };

describe('a chat line as a MESSAGE body', () => {
  test("the customer's live message is the text itself, with the ids in headers", () => {
    const line: ChatLine = { call, seq: 3, origin: 'customer', messageId: 'wamid.HBgL' };
    expect(chatContent({ ...line, origin: 'customer' }, '¡Hola! Zoë aquí', 'wamid.HBgL')).toEqual({
      contentType: 'text/plain; charset=UTF-8',
      body: '¡Hola! Zoë aquí',
      headers: [['X-Chat-Origin', 'customer'], ['X-Message-Id', 'wamid.HBgL'], ['X-WhatsApp-Message-Id', 'wamid.HBgL']],
    });
  });

  test('anything else is marked in the body and the headers: history, bot, auto-reply, system notices', () => {
    const history = chatContent({ call, seq: 2, origin: 'bot', messageId: 'm1', history: true }, 'Try restarting it');
    expect(history.body).toBe('[history] [bot] Try restarting it');
    expect(history.headers).toEqual(expect.arrayContaining([['X-Chat-Origin', 'bot'], ['X-Chat-History', 'yes']]));
    const notice = chatContent({ call, seq: 4, origin: 'system', notice: 'window-closed' }, 'The window is closed');
    expect(notice.body).toBe('[system] The window is closed');
    expect(notice.headers).toEqual([['X-Chat-Origin', 'system'], ['X-Chat-Notice', 'window-closed']]);
  });

  test('header values never carry a line break', () => {
    const content = chatContent({ call, seq: 2, origin: 'customer', messageId: 'a\r\nX-Evil: 1' }, 'hi', 'w\nid');
    for (const [, value] of content.headers ?? []) expect(value).not.toMatch(/[\r\n]/);
  });

  test('who wrote a stored message', () => {
    expect(originOf('inbound')).toBe('customer');
    expect(originOf('outbound', { kind: 'system', id: 'auto-reply:welcome' })).toBe('auto-reply');
    expect(originOf('outbound', { kind: 'system' })).toBe('system');
    expect(originOf('outbound', { kind: 'bot' })).toBe('bot');
    expect(originOf('outbound', { kind: 'agent', id: 'agent-7' })).toBe('agent');
  });
});

describe("a customer's reaction as a line", () => {
  test('names the emoji and quotes the message reacted to (80 characters at most, on one line), or its wamid when the store lost it', () => {
    expect(reactionText('👍', { wamid: 'wamid.A', text: 'It arrives\ntomorrow' })).toBe('[reaction 👍] to "It arrives tomorrow"');
    expect(reactionText('', { wamid: 'wamid.A', text: 'It arrives tomorrow' })).toBe('[reaction removed] from "It arrives tomorrow"');
    // A reply quotes what Meta's context.id names (hermes-agent#52957): on a line of its own, cut at 80 characters.
    expect(replyText('Yes please', { wamid: 'wamid.A', text: 'Shall we\ncall you?' })).toBe('[reply to "Shall we call you?"]\nYes please');
    expect(replyText('ok', { wamid: 'wamid.A', text: 'x'.repeat(90) })).toBe(`[reply to "${'x'.repeat(80)}…"]\nok`);
    expect(replyText('ok', { wamid: 'wamid.gone' })).toBe('[reply to message wamid.gone]\nok');
    expect(chatContent({ seq: 1, origin: 'customer' } as never, 'ok', 'wamid.B', 'wamid.A\r\nX-Evil: 1').headers).toContainEqual(['X-Chat-Reply-To', 'wamid.A  X-Evil: 1']);
    expect(reactionText('❤️', { wamid: 'wamid.A', text: `${'é'.repeat(80)}ü` })).toBe(`[reaction ❤️] to "${'é'.repeat(80)}…"`);
    expect(reactionText('🙏', { wamid: 'wamid.gone' })).toBe('[reaction 🙏] to message wamid.gone');
    const line: ChatLine = { call, seq: 4, origin: 'customer', reaction: { reactionId: 'wamid.R', targetWamid: 'wamid.A', emoji: '👍' } };
    expect(chatContent({ ...line, origin: 'customer' }, '[reaction 👍] to "x"', 'wamid.R').headers).toEqual([
      ['X-Chat-Origin', 'customer'],
      ['X-WhatsApp-Message-Id', 'wamid.R'],
      ['X-Chat-Reaction-To', 'wamid.A'],
    ]);
  });
});

describe("the agent's MESSAGE", () => {
  test('plain text is a reply as it stands (trimmed)', () => {
    expect(parseAgentCommand('  Your refund is on its way\r\n')).toEqual({ kind: 'text', text: 'Your refund is on its way' });
  });

  test('/template <name> <language> [p1|p2] names an approved template and its body parameters', () => {
    expect(parseAgentCommand('/template order_update en_US Ada | 1234 ')).toEqual({ kind: 'template', name: 'order_update', language: 'en_US', parameters: ['Ada', '1234'] });
    expect(parseAgentCommand('/template hello_world en_US')).toEqual({ kind: 'template', name: 'hello_world', language: 'en_US', parameters: [] });
    expect(parseAgentCommand('/TEMPLATE x es')).toMatchObject({ kind: 'template', name: 'x', language: 'es' });
  });

  test('a template command without a language is refused with the form to use', () => {
    expect(parseAgentCommand('/template order_update')).toEqual({ kind: 'invalid', problem: expect.stringContaining('/template <name> <language>') });
    expect(parseAgentCommand('/template')).toMatchObject({ kind: 'invalid' });
  });

  test('/templates lists the approved ones; a word starting with /template is not a command', () => {
    expect(parseAgentCommand('/templates')).toEqual({ kind: 'listTemplates' });
    expect(parseAgentCommand('/templatex a b')).toEqual({ kind: 'text', text: '/templatex a b' });
  });

  test('the template list says how to send one, also when there is none', () => {
    expect(templateListText([{ name: 'order_update', language: 'en_US', body: 'Hello {{1}}' }], 'Not sent.')).toBe(
      'Not sent.\n- order_update (en_US): Hello {{1}}\nSend one with: /template <name> <language> [param1|param2|…]',
    );
    expect(templateListText([], 'Not sent.')).toContain('(no approved template on this number)');
  });
});

describe("what an agent's request carries", () => {
  test('text/plain with or without a charset, in any case', () => {
    expect(agentText('text/plain;charset=UTF-8', 'Olá 👋')).toBe('Olá 👋');
    expect(agentText('Text/Plain', 'hi')).toBe('hi');
  });

  test('message/cpim (RFC 3862 §3): the text of the text/plain object inside, after the message headers', () => {
    const body = 'From: <sip:agent-1@cc.example>\r\nDateTime: 2026-12-01T05:00:00Z\r\n\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMerci 🙏\r\n\r\nsecond paragraph';
    expect(agentText('message/cpim', body)).toBe('Merci 🙏\n\nsecond paragraph');
  });

  test('anything else is unreadable (415): another type, CPIM around HTML, CPIM without its two header blocks', () => {
    expect(agentText('application/json', '{}')).toBeUndefined();
    expect(agentText('message/cpim', 'From: <sip:a@b>\r\n\r\nContent-Type: text/html\r\n\r\n<b>hi</b>')).toBeUndefined();
    expect(agentText('message/cpim', 'just text')).toBeUndefined();
  });

  test('text in another charset that did not read as UTF-8 is refused rather than sent mangled; ASCII in it passes', () => {
    const latin1 = Buffer.from('café', 'latin1').toString('utf8'); // what the parser makes of ISO-8859-1 bytes
    expect(agentText('text/plain; charset=ISO-8859-1', latin1)).toBeUndefined();
    expect(agentText('text/plain; charset="windows-1252"', 'plain ascii')).toBe('plain ascii');
    expect(agentText('message/cpim', `From: <sip:a@b>\r\n\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n${latin1}`)).toBeUndefined();
  });
});
