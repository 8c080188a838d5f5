import type { Call, Message } from './api';
import { gist, MessageBody } from './message-body';
import { MessageText } from './customer-text';

const statusLabel: Record<string, string> = { queued: 'queued', accepted: 'sent to WhatsApp', sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed', received: '' };

/** The time of day for today's messages; older ones (a window long closed) say the day too. */
const when = (at: string) => {
  const date = new Date(at);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
};

interface Reaction {
  emoji: string;
  by: string;
}

/**
 * Reactions shown under the bubble they react to: the customer's (`reactions` on the message) and ours (outbound
 * `reaction` messages, the latest per message winning; an empty emoji takes ours back).
 */
function reactionsOf(messages: Message[]): Map<string, Reaction[]> {
  const ours = new Map<string, string>();
  for (const m of messages) if (m.direction === 'outbound' && m.reaction && m.status !== 'failed') ours.set(m.reaction.messageId, m.reaction.emoji);
  const byMessage = new Map<string, Reaction[]>();
  for (const m of messages) {
    const list: Reaction[] = (m.reactions ?? []).filter((r) => r.emoji).map((r) => ({ emoji: r.emoji, by: r.by }));
    const ourEmoji = ours.get(m.id) ?? (m.wamid ? ours.get(m.wamid) : undefined);
    if (ourEmoji) list.push({ emoji: ourEmoji, by: 'us' });
    if (list.length > 0) byMessage.set(m.id, list);
  }
  return byMessage;
}

/** The emoji an agent can react with in one click (any single emoji is valid on WhatsApp). */
const QUICK_REACTIONS = ['\u{1F44D}', '\u{2764}\u{FE0F}', '\u{1F602}', '\u{1F62E}', '\u{1F622}', '\u{1F64F}'];

/** What the agent may do to a message: react to the customer's, quote any WhatsApp has an id for (window open only). */
export interface MessageActions {
  react(message: Message, emoji: string): void;
  quote(message: Message): void;
}

/** React (or take our reaction back) and quote: Meta's reaction messages and `context.message_id` replies. */
function Actions({ m, ours, actions }: { m: Message; ours: string | undefined; actions: MessageActions }) {
  return (
    <div class="message-actions">
      {m.direction === 'inbound' && (
        <details>
          <summary>React</summary>
          {QUICK_REACTIONS.map((emoji) => (
            <button key={emoji} type="button" class="secondary" aria-label={`React ${emoji}`} onClick={() => actions.react(m, emoji)}>
              {emoji}
            </button>
          ))}
          {ours && (
            <button type="button" class="secondary" onClick={() => actions.react(m, '')}>
              Remove reaction
            </button>
          )}
        </details>
      )}
      <button type="button" class="secondary" onClick={() => actions.quote(m)}>
        Quote
      </button>
    </div>
  );
}

/**
 * The message thread: who said what, by type, quoted replies, reactions, delivery statuses, and why a send failed.
 * With `actions` (the agent may write), each message WhatsApp knows can be quoted and each customer message reacted to.
 */
export function Thread({ messages, calls = [], actions }: { messages: Message[]; calls?: Call[]; actions?: MessageActions | undefined }) {
  const reactions = reactionsOf(messages);
  const byId = new Map(messages.flatMap((m) => [[m.id, m] as const, ...(m.wamid ? [[m.wamid, m] as const] : [])]));
  const shown = messages.filter((m) => !(m.direction === 'outbound' && m.reaction));
  // Calls go where they happened: before the first message written after them (messages keep the thread's order).
  const before = (at: string) => calls.filter((c) => c.at <= at);
  const callItems = (list: Call[]) => list.map((c) => <CallItem key={c.callId ?? c.wacid} c={c} />);
  let placed = 0;
  return (
    <ol class="thread" aria-label="Messages">
      {shown.map((m) => {
        const due = before(m.at).slice(placed);
        placed += due.length;
        return [
          ...callItems(due),
          <li key={m.id} class={`message ${m.direction}`} data-status={m.status} data-type={m.type}>
            {m.context?.forwarded && <p class="muted">Forwarded</p>}
            {m.context?.messageId && <blockquote class="quote"><MessageText text={gist(byId.get(m.context.messageId))} /></blockquote>}
            <MessageBody m={m} />
            <small>
              {when(m.at)} {m.source === 'business_app' ? '· sent from the WhatsApp Business app' : m.sender ? `· ${m.sender.kind}${m.sender.id ? ` ${m.sender.id}` : ''}` : ''} {statusLabel[m.status] ? `· ${statusLabel[m.status]}` : ''}
            </small>
            {reactions.get(m.id) && (
              <p class="reactions" aria-label="Reactions">
                {reactions.get(m.id)!.map((r) => <span key={`${r.by}${r.emoji}`} title={`by ${r.by}`}>{r.emoji}</span>)}
              </p>
            )}
            {actions && m.wamid && <Actions m={m} ours={reactions.get(m.id)?.find((r) => r.by === 'us')?.emoji} actions={actions} />}
            {m.failure && (
              <p class="error" role="status">
                Not delivered: {m.failure.title} ({m.failure.code}){m.failure.details ? `: ${m.failure.details}` : ''}
                {m.failure.reason === 'template_required' && ' The window had closed: send an approved template.'}
              </p>
            )}
          </li>,
        ];
      })}
      {callItems(calls.slice(placed))}
    </ol>
  );
}

const outcomeLabel: Record<string, string> = { ended: 'answered', answered: 'in progress', ringing: 'ringing', missed: 'missed', abandoned: 'abandoned (caller hung up while it rang)', failed: 'failed', completed: 'completed', rejected: 'declined by the customer' };

/** A WhatsApp call in the thread: who called, how it ended, who took it and for how long. */
function CallItem({ c }: { c: Call }) {
  const minutes = c.durationSeconds !== undefined ? `${Math.floor(c.durationSeconds / 60)}:${String(c.durationSeconds % 60).padStart(2, '0')}` : undefined;
  return (
    <li class={`message call ${c.direction}`} data-type="call" data-outcome={c.outcome}>
      <p>
        {c.direction === 'inbound' ? 'WhatsApp call from the customer' : 'WhatsApp call to the customer'}: {outcomeLabel[c.outcome] ?? c.outcome}
        {minutes ? ` · ${minutes}` : ''}
        {c.agentId ? ` · agent ${c.agentId}` : ''}
      </p>
      <small>{when(c.at)}</small>
    </li>
  );
}
