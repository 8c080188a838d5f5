import { stateLabels, stateNames, type Conversation } from './api';
import { isWindowOpenInView } from '../../machines/conversation.rules';
import { closingSoon, remaining, useNow } from './hooks';
import { useLive } from './live';
import { openInInbox } from './inbox-list';
import { Problem } from './problem';
import { CustomerText } from './customer-text';

/** Conversations by state, pushed live as they change, each window counting down. */
export function BoardPage() {
  const { data, problem } = useLive<{ conversations: Conversation[] }>('/v1/console/live/conversations');
  const now = useNow();
  const conversations = data?.conversations ?? [];
  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">Conversations</h1>
      <Problem problem={problem} />
      <div class="board">
        {stateNames.map((state) => {
          const column = conversations.filter((c) => c.state === state);
          return (
            <section class="column" aria-labelledby={`col-${state}`} data-state={state} key={state}>
              <h2 id={`col-${state}`}>
                {stateLabels[state]} <span class="count">{column.length}</span>
              </h2>
              <ul>
                {column.map((c) => (
                  <li class="card" key={c.conversationId} data-conversation={c.conversationId}>
                    <strong>
                      <CustomerText text={c.customer.profileName ?? c.customer.waId ?? c.customer.key} />
                    </strong>
                    <span class="muted">+{c.customer.waId ?? c.customer.key}</span>
                    <dl>
                      <dt>Window</dt>
                      <dd class={`countdown${isWindowOpenInView(c, now) && closingSoon(c.windowClosesAt, now) ? ' soon' : ''}`}>
                        {isWindowOpenInView(c, now) && c.windowClosesAt ? <time dateTime={c.windowClosesAt}>{remaining(c.windowClosesAt, now)}</time> : 'closed'}
                      </dd>
                      <dt>Agent</dt>
                      <dd>{c.agentId ?? (c.routing.phase === 'queued' ? `queued (${c.routing.queue})` : '—')}</dd>
                      <dt>Number</dt>
                      <dd>{c.businessNumberId}</dd>
                    </dl>
                    {state !== 'closed' && (
                      <button type="button" onClick={() => openInInbox(c.conversationId)}>
                        Open
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}
