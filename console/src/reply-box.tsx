import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, conversationPath, type Conversation } from './api';
import { isWindowOpenInView } from '../../machines/conversation.rules';
import { useNow } from './hooks';
import { Problem } from './problem';
import { useTemplateFill, type ApprovedTemplate } from './template-fill';

/**
 * Free text while the customer's 24-hour window is open; outside it the box says so and offers the approved
 * templates, with their parameters to fill in and a preview. A send the connector refuses shows its reason.
 */
export function ReplyBox({ conversation }: { conversation: Conversation }) {
  const id = conversation.conversationId;
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [templates, setTemplates] = useState<ApprovedTemplate[]>();
  const [chosen, setChosen] = useState<string>('');
  const template = templates?.find((t) => `${t.name}|${t.language}` === chosen);
  const filling = useTemplateFill(conversation.businessNumberId, template);
  // The window is judged now, not when the view was made: the box offers templates the second it closes.
  const now = useNow();
  const needsTemplate = !isWindowOpenInView(conversation, now) || problem?.code === 'template_required';
  const boxId = `reply-${id.replace(/[^a-zA-Z0-9]/g, '-')}`;

  useEffect(() => {
    if (!needsTemplate || templates) return;
    api<{ templates: ApprovedTemplate[] }>('GET', conversationPath(id, '/templates')).then((r) => setTemplates(r.templates), (err: unknown) => setProblem(err as ApiProblem));
  }, [needsTemplate, templates, id]);

  const send = async (message: unknown) => {
    try {
      await api('POST', conversationPath(id, '/messages'), { message });
      setProblem(undefined);
      setText('');
      filling.reset();
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      setProblem(err);
      if (err.code === 'template_required' && Array.isArray(err.body.templates)) setTemplates(err.body.templates as ApprovedTemplate[]);
    }
  };

  const sendTemplate = (e: Event) => {
    e.preventDefault();
    if (filling.message) void send(filling.message);
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
    <form
      class="reply"
      onSubmit={(e) => {
        e.preventDefault();
        void send({ type: 'text', text });
      }}
    >
      <label for={boxId}>Reply</label>
      <textarea id={boxId} value={text} onInput={(e) => setText(e.currentTarget.value)} rows={3} required />
      <button type="submit">Send</button>
      <Problem problem={problem} />
    </form>
  );
}
