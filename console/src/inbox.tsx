import { useEffect, useState } from 'preact/hooks';
import { api, conversationPath, stateLabels, type Message, type Principal } from './api';
import { remaining, useNow } from './hooks';
import { OPEN, opened } from './inbox-list';
import { usePageStream, type ConversationSnapshot, type Live } from './page-stream';
import { Problem } from './problem';
import { ReplyBox } from './reply-box';
import { Thread, type MessageActions } from './thread';
import { CustomerCard } from './customer-card';
import { CustomerText } from './customer-text';
import { useEarlierMessages } from './earlier';
import { isWindowOpenInView } from '../../machines/conversation.rules';

/** One empty list for every render with no data yet, so the earlier-messages hook sees no change. */
const NO_MESSAGES: Message[] = [];

/**
 * An agent's conversations side by side: the ones they hold, and any opened from the board. A conversation that
 * stops being theirs (closed, transferred) keeps its panel, showing how it ended, until they hide it; panels keep
 * their places as others come and go. The page holds one live stream for all of them and the agent's own list
 * (a browser keeps six connections per origin: a stream per panel stalled the page past five panels).
 */
export function InboxPage({ principal }: { principal: Principal }) {
  const [open, setOpen] = useState(opened());
  // The page's one stream carries at most this many conversations (the server refuses the whole stream past it, and
  // every panel would show that problem): the panels past it are not opened, and a notice says so.
  const most = principal.limits?.liveStreamConversations ?? 20;
  // Integrators hold nothing (the stream then carries only the panels they opened from the board). The agent's
  // conversations join `open` as they arrive (below), and so the stream.
  const live = open.slice(0, most);
  const closePanel = (id: string) => {
    const rest = opened().filter((x) => x !== id);
    sessionStorage.setItem(OPEN, JSON.stringify(rest));
    setOpen(rest);
  };
  // An id the server refused as malformed (a stale saved list) is dropped from it: it never will be a conversation.
  const stream = usePageStream(live, principal.role === 'agent' || live.length > 0, closePanel);
  const held = stream.agent;
  const heldIds = (held.data?.conversations ?? []).map((c) => c.conversationId);
  useEffect(() => {
    const known = opened();
    const added = heldIds.filter((id) => !known.includes(id));
    if (added.length === 0) return;
    sessionStorage.setItem(OPEN, JSON.stringify([...known, ...added]));
    setOpen([...known, ...added]);
  }, [heldIds.join(' ')]);
  const all = [...new Set([...open, ...heldIds])];
  const ids = all.slice(0, most);
  const waiting = all.slice(most);
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Agent inbox</h1>
      <Problem problem={held.problem} />
      {waiting.length > 0 && (
        <p class="notice" role="status">
          Not opened: {waiting.length} conversation{waiting.length === 1 ? '' : 's'} ({waiting.join(', ')}). The inbox keeps at most {most} conversations
          live at once (LIVE_STREAM_CONVERSATIONS); hide a panel to open the next.
        </p>
      )}
      {ids.length === 0 && <p class="muted">No conversations yet: the contact centre routes them to you, or open one from the board.</p>}
      <div class="inbox">
        {ids.map((id) => (
          <ConversationPanel key={id} conversationId={id} live={stream.conversation(id)} principal={principal} onDismiss={heldIds.includes(id) ? undefined : () => closePanel(id)} />
        ))}
      </div>
    </section>
  );
}

interface PanelProps {
  conversationId: string;
  /** The panel's share of the page's stream. */
  live: Live<ConversationSnapshot>;
  principal: Principal;
  onDismiss: (() => void) | undefined;
}

function ConversationPanel({ conversationId, live, principal, onDismiss }: PanelProps) {
  const now = useNow();
  const earlier = useEarlierMessages(conversationId, live.data?.messages ?? NO_MESSAGES, live.data?.hasOlder);
  const [queue, setQueue] = useState('');
  const [toAgent, setToAgent] = useState(false);
  const [actionProblem, setActionProblem] = useState<unknown>();
  const [quote, setQuote] = useState<Message>();
  const c = live.data?.conversation;
  // The agent has the conversation open: the customer's messages show as read on WhatsApp, each new one as it comes.
  const latestInbound = live.data?.messages.filter((m) => m.direction === 'inbound').at(-1)?.id;
  const holding = principal.role === 'agent' && c !== undefined && c.state !== 'closed' && c.agentId === principal.name;
  useEffect(() => {
    if (!holding || !latestInbound) return;
    api('POST', conversationPath(conversationId, '/read'), {}).catch(() => undefined);
  }, [latestInbound, holding, conversationId]);
  const act = async (run: () => Promise<unknown>) => {
    try {
      await run();
      setActionProblem(undefined);
    } catch (err) {
      setActionProblem(err);
    }
  };
  const titleId = `conv-${conversationId.replace(/[^a-zA-Z0-9]/g, '-')}`;
  // Reactions and quotes are session messages: offered while the customer's window is open (a closed one needs a template).
  const canWrite = c !== undefined && c.state !== 'closed' && isWindowOpenInView(c, now);
  const actions: MessageActions | undefined = canWrite
    ? {
        react: (m, emoji) => void act(() => api('POST', conversationPath(conversationId, '/messages'), { message: { type: 'reaction', messageId: m.id, emoji } })),
        quote: (m) => setQuote(m),
      }
    : undefined;
  return (
    <article class="panel" aria-labelledby={titleId} data-conversation={conversationId}>
      <header>
        <h2 id={titleId}>{c ? <CustomerText text={c.customer.profileName ?? c.customer.key} /> : conversationId}</h2>
        {c && (
          <p class="muted">
            {stateLabels[c.state]} · window {isWindowOpenInView(c, now) ? remaining(c.windowClosesAt, now) : 'closed'} ·{' '}
            {c.agentId ? `agent ${c.agentId}` : c.routing.phase === 'queued' ? 'waiting for an agent' : 'no agent'}
            {c.routing.queue && ` · queue ${c.routing.queue}`}
          </p>
        )}
        {c && <CustomerCard conversationId={conversationId} />}
      </header>
      <Problem problem={live.problem} />
      {earlier.more && (
        <button type="button" class="secondary" onClick={() => void act(earlier.load)}>
          Earlier messages
        </button>
      )}
      <Thread messages={[...earlier.earlier, ...(live.data?.messages ?? [])]} calls={live.data?.calls ?? []} actions={actions} />
      {c && c.state !== 'closed' && <ReplyBox conversation={c} typingIndicator={holding} quote={canWrite ? quote : undefined} onQuoted={() => setQuote(undefined)} />}
      <Problem problem={actionProblem as never} />
      <footer class="actions">
        {c && c.state !== 'closed' && (
          <button type="button" onClick={() => void act(() => api('POST', conversationPath(conversationId, '/close'), {}))}>
            Close conversation
          </button>
        )}
        {principal.role === 'agent' && c?.routing.phase === 'assigned' && (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => api('POST', `/v1/agent/conversations/${encodeURIComponent(conversationId)}/transfer`, toAgent ? { agentId: queue } : { queue }));
            }}
          >
            <label for={`${titleId}-to`}>Transfer to</label>
            <select id={`${titleId}-to`} value={toAgent ? 'agent' : 'queue'} onChange={(e) => setToAgent(e.currentTarget.value === 'agent')}>
              <option value="queue">a queue</option>
              <option value="agent">an agent</option>
            </select>
            <label for={`${titleId}-queue`}>{toAgent ? 'Agent id' : 'Queue name'}</label>
            <input id={`${titleId}-queue`} value={queue} onInput={(e) => setQueue(e.currentTarget.value)} required />
            <button type="submit">Transfer</button>
          </form>
        )}
        {onDismiss && (
          <button type="button" class="secondary" onClick={onDismiss}>
            Hide
          </button>
        )}
      </footer>
    </article>
  );
}
