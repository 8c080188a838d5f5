import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, conversationPath, type Conversation, type Message } from './api';
import { gist } from './message-body';
import { MessageText } from './customer-text';
import { isWindowOpenInView } from '../../machines/conversation.rules';
import { useNow } from './hooks';
import { Problem } from './problem';
import { useTemplateFill, type ApprovedTemplate } from './template-fill';
import { AttachForm, ChoicesForm } from './composer';

/** Meta shows the typing indicator for up to 25 s: one call per 20 s while the agent keeps typing. */
const TYPING_EVERY_MS = 20_000;

/**
 * Free text while the customer's 24-hour window is open; outside it the box says so and offers the approved
 * templates, with their parameters to fill in and a preview. A send the connector refuses shows its reason.
 * Files of any type WhatsApp takes, reply buttons and lists go out from here too; while the agent holding the
 * conversation types, the customer sees the typing indicator.
 */
export function ReplyBox({
  conversation,
  typingIndicator = false,
  quote,
  onQuoted = () => undefined,
}: {
  conversation: Conversation;
  typingIndicator?: boolean;
  /** The message the next send quotes (Meta's `context.message_id`), chosen in the thread. */
  quote?: Message | undefined;
  /** The quote went out with a send, or the agent dropped it. */
  onQuoted?: () => void;
}) {
  const id = conversation.conversationId;
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [templates, setTemplates] = useState<ApprovedTemplate[]>();
  const [chosen, setChosen] = useState<string>('');
  const template = templates?.find((t) => `${t.name}|${t.language}` === chosen);
  const filling = useTemplateFill(conversation.businessNumberId, template);
  // The window is judged now, not when the view was made: the box offers templates the second it closes.
  const now = useNow();
  // A refusal says so before the view catches up: the window closed, or the conversation did (a template starts the next).
  const needsTemplate = !isWindowOpenInView(conversation, now) || problem?.code === 'template_required' || problem?.code === 'conversation_closed';
  const boxId = `reply-${id.replace(/[^a-zA-Z0-9]/g, '-')}`;

  useEffect(() => {
    if (!needsTemplate || templates) return;
    api<{ templates: ApprovedTemplate[] }>('GET', conversationPath(id, '/templates')).then((r) => setTemplates(r.templates), (err: unknown) => setProblem(err as ApiProblem));
  }, [needsTemplate, templates, id]);

  const [typedAt, setTypedAt] = useState(0);
  const showProblem = (err: unknown) => {
    if (!(err instanceof ApiProblem)) throw err;
    setProblem(err);
    if ((err.code === 'template_required' || err.code === 'conversation_closed') && Array.isArray(err.body.templates)) setTemplates(err.body.templates as ApprovedTemplate[]);
  };
  const post = async (message: Record<string, unknown>) => {
    await api('POST', conversationPath(id, '/messages'), { message: quote ? { ...message, replyTo: quote.id } : message });
    setProblem(undefined);
    if (quote) onQuoted();
  };
  const send = async (message: Record<string, unknown>) => {
    try {
      await post(message);
      setText('');
      filling.reset();
    } catch (err) {
      showProblem(err);
    }
  };
  const typing = (value: string) => {
    setText(value);
    const now = Date.now();
    if (!typingIndicator || now - typedAt < TYPING_EVERY_MS) return;
    setTypedAt(now);
    // Best effort: the indicator is a courtesy, a refusal (say, switched off for the number) changes nothing.
    api('POST', conversationPath(id, '/typing'), {}).catch(() => undefined);
  };

  const sendTemplate = (e: Event) => {
    e.preventDefault();
    if (filling.message) void send(filling.message as Record<string, unknown>);
  };

  if (needsTemplate) {
    return (
      <form class="reply template" onSubmit={sendTemplate} aria-labelledby={`${boxId}-title`}>
        <p id={`${boxId}-title`} class="notice" role="status">
          The customer's 24-hour window is closed: only an approved template can be sent.
        </p>
        <label for={`${boxId}-template`}>Approved template</label>
        <select id={`${boxId}-template`} value={chosen} onChange={(e) => setChosen(e.currentTarget.value)} required>
          <option value="">Choose a template…</option>
          {(templates ?? []).map((t) => (
            <option key={`${t.name}|${t.language}`} value={`${t.name}|${t.language}`}>
              {t.name} ({t.language}, {t.category})
            </option>
          ))}
        </select>
        {templates?.length === 0 && <p class="error">No approved template for this number yet: ask a supervisor.</p>}
        {filling.inputs(boxId)}
        {filling.preview}
        <button type="submit" disabled={!template}>
          Send template
        </button>
        <Problem problem={problem?.code === 'template_required' ? undefined : problem} />
      </form>
    );
  }
  return (
    <div class="reply-area">
      {quote && (
        <p class="quoting" role="status">
          Quoting <q><MessageText text={gist(quote)} /></q>{' '}
          <button type="button" class="secondary" onClick={onQuoted}>
            Don't quote
          </button>
        </p>
      )}
      <form
        class="reply"
        onSubmit={(e) => {
          e.preventDefault();
          void send({ type: 'text', text });
        }}
      >
        <label for={boxId}>Reply</label>
        <textarea id={boxId} value={text} onInput={(e) => typing(e.currentTarget.value)} rows={3} required />
        <button type="submit">Send</button>
      </form>
      <details>
        <summary>Attach a file</summary>
        <AttachForm boxId={`${boxId}-attach`} send={post} onProblem={showProblem} />
      </details>
      <details>
        <summary>Buttons or list</summary>
        <ChoicesForm boxId={`${boxId}-choices`} send={post} onProblem={showProblem} />
      </details>
      <Problem problem={problem} />
    </div>
  );
}
