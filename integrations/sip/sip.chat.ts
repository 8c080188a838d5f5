/**
 * Page-mode chat (RFC 3428): what a chat line looks like inside an in-dialog MESSAGE, and the commands an agent may
 * type in a MESSAGE of their own. Pure: no sockets, no store.
 */
import type { InDialogContent } from './sip.dialog';
import type { ChatLine, ChatOrigin } from './sip.types';
import { TEMPLATE_COMMAND_HELP } from '../../lib/agent-commands';

/** Every line is UTF-8 text; RFC 3428 §4 and §7 require every UA that supports MESSAGE to send and receive text/plain. */
export const CHAT_CONTENT_TYPE = 'text/plain; charset=UTF-8';

/** Header values are one line of text: control characters (a CR/LF would inject headers) become spaces. */
const oneLine = (value: string) => value.replace(/[\x00-\x1f\x7f]/g, ' ').trim(); // eslint-disable-line no-control-regex

/**
 * The MESSAGE content of one line: the text, prefixed `[history] ` and `[<origin>] ` unless it is the customer's
 * own live message, with headers a desktop can act on: `X-Chat-Origin`, `X-Chat-History: yes`, `X-Chat-Notice`,
 * `X-Message-Id` (ours), `X-WhatsApp-Message-Id` (the wamid, once WhatsApp gave one) and `X-Chat-Reply-To` (the wamid
 * of the message a customer's reply quotes).
 */
export function chatContent(line: ChatLine & { origin: ChatOrigin }, text: string, wamid?: string, replyTo?: string): InDialogContent {
  const marks = [line.history ? '[history]' : '', line.origin === 'customer' ? '' : `[${line.origin}]`].filter(Boolean);
  const headers: [string, string][] = [['X-Chat-Origin', line.origin]];
  if (line.history) headers.push(['X-Chat-History', 'yes']);
  if (line.notice) headers.push(['X-Chat-Notice', line.notice]);
  if (line.messageId) headers.push(['X-Message-Id', oneLine(line.messageId)]);
  if (wamid) headers.push(['X-WhatsApp-Message-Id', oneLine(wamid)]);
  if (line.reaction) headers.push(['X-Chat-Reaction-To', oneLine(line.reaction.targetWamid)]);
  if (replyTo) headers.push(['X-Chat-Reply-To', oneLine(replyTo)]);
  return { contentType: CHAT_CONTENT_TYPE, body: marks.length > 0 ? `${marks.join(' ')} ${text}` : text, headers };
}

/** A message quoted in a line: its first 80 characters on one line, or its wamid when the store no longer has it. */
function quoted(target: { text?: string; wamid: string }): string {
  return target.text === undefined ? `message ${target.wamid}` : `"${[...oneLine(target.text)].slice(0, 80).join('')}${[...target.text].length > 80 ? '…' : ''}"`;
}

/**
 * A customer's reaction as the agent reads it: `[reaction 👍] to "…"` (an empty emoji: `[reaction removed] from "…"`),
 * quoting the first 80 characters of the message reacted to, or naming its wamid when the store no longer has it.
 */
export function reactionText(emoji: string, target: { text?: string; wamid: string }): string {
  return emoji ? `[reaction ${oneLine(emoji)}] to ${quoted(target)}` : `[reaction removed] from ${quoted(target)}`;
}

/**
 * A customer's reply as the agent reads it: `[reply to "…"]` on a line of its own, then the reply, as WhatsApp shows
 * the quoted message above it (Meta's `context.id` names it; its text is only in our store).
 */
export function replyText(text: string, target: { text?: string; wamid: string }): string {
  return `[reply to ${quoted(target)}]\n${text}`;
}

/** Who wrote a stored message, as a chat line names it. */
export function originOf(direction: 'inbound' | 'outbound', sender?: { kind: string; id?: string }): ChatOrigin {
  if (direction === 'inbound') return 'customer';
  if (sender?.kind === 'system') return sender.id?.startsWith('auto-reply') ? 'auto-reply' : 'system';
  return sender?.kind === 'bot' || sender?.kind === 'integrator' ? sender.kind : 'agent';
}

/** What an agent's MESSAGE or SEND may carry: plain text, or plain text inside message/cpim (RFC 3862). */
export const AGENT_CONTENT_TYPES = 'text/plain, message/cpim';

const isPlainText = (contentType: string) => /^text\/plain\s*(;|$)/i.test(contentType.trim());

/**
 * The body was read as UTF-8 (the SIP parser keeps no bytes): text declared in another charset that did not read as
 * UTF-8 (a replacement character appeared) would reach the customer mangled, so it is refused instead. ASCII text in
 * any ASCII-compatible charset reads the same and passes.
 */
const mangled = (contentType: string, text: string) => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && text.includes('\uFFFD');
};

/**
 * The text an agent's request carries, or undefined for a type the connector cannot read (answered 415 with
 * {@link AGENT_CONTENT_TYPES} in Accept: RFC 3261 §8.2.3, which RFC 3428 §7 has a UAS follow, and RFC 3428 §9
 * Table 1). `message/cpim` (RFC 3862 §2-3, as IMS and RCS desktops wrap their messages) is its message headers, a
 * blank line, then the encapsulated MIME object: its own headers, a blank line and the content, which must itself be
 * text/plain.
 */
export function agentText(contentType: string, body: string): string | undefined {
  if (isPlainText(contentType)) return mangled(contentType, body) ? undefined : body;
  if (!/^message\/cpim\s*(;|$)/i.test(contentType.trim())) return undefined;
  const parts = body.split(/\r?\n\r?\n/);
  if (parts.length < 3) return undefined;
  const innerType = /^content-type\s*:\s*(.*)$/im.exec(parts[1]!)?.[1] ?? 'text/plain';
  const text = parts.slice(2).join('\n\n');
  return isPlainText(innerType) && !mangled(innerType, text) ? text : undefined;
}

/** What an agent's MESSAGE asks for. */
export type AgentCommand =
  | { kind: 'text'; text: string }
  | { kind: 'template'; name: string; language: string; parameters: string[] }
  | { kind: 'listTemplates' }
  | { kind: 'invalid'; problem: string };


/**
 * Reads an agent's MESSAGE body. `/template <name> <language> [p1|p2|…]` sends an approved template with those body
 * parameters ({{1}}, {{2}}…), `/templates` lists the approved ones; any other text is a reply as it stands.
 */
export function parseAgentCommand(body: string): AgentCommand {
  const text = body.replace(/\r\n/g, '\n').trim();
  if (/^\/templates\s*$/i.test(text)) return { kind: 'listTemplates' };
  const command = /^\/template(?:\s+(.*))?$/is.exec(text);
  if (!command) return { kind: 'text', text };
  const match = /^(\S+)\s+(\S+)(?:\s+([\s\S]*))?$/.exec((command[1] ?? '').trim());
  if (!match) return { kind: 'invalid', problem: `A template needs a name and a language. ${TEMPLATE_COMMAND_HELP}` };
  const rest = match[3]?.trim();
  return { kind: 'template', name: match[1]!, language: match[2]!, parameters: rest ? rest.split('|').map((p) => p.trim()) : [] };
}

/** The notice listing the approved templates, with how to send one. */
export function templateListText(templates: { name: string; language: string; body: string }[], lead: string): string {
  const lines = templates.map((t) => `- ${t.name} (${t.language}): ${t.body}`);
  return [lead, ...(lines.length > 0 ? lines : ['(no approved template on this number)']), TEMPLATE_COMMAND_HELP].join('\n');
}
