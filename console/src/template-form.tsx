import { useEffect, useRef, useState } from 'preact/hooks';
import { TemplateDefinition, fillPlaceholders, placeholdersIn } from '../../lib/template-definition';
import { api, ApiProblem, type Template } from './api';
import { Problem } from './problem';
import { TemplateMessage } from './template-message';

interface Button {
  type: 'quick_reply' | 'url';
  text: string;
  url: string;
}

interface Draft {
  businessNumberId: string;
  name: string;
  language: string;
  category: 'utility' | 'marketing' | 'authentication';
  headerFormat: 'none' | 'text' | 'image';
  header: string;
  body: string;
  footer: string;
  buttons: Button[];
}

const blank: Draft = { businessNumberId: '', name: '', language: 'en_US', category: 'utility', headerFormat: 'none', header: '', body: '', footer: '', buttons: [] };

/** The whole template as the API takes it: nothing the form does not show may be lost on an edit. */
const definitionOf = (d: Draft) => ({
  ...(d.headerFormat === 'text' ? { header: { format: 'text', text: d.header } } : d.headerFormat === 'image' ? { header: { format: 'image' } } : {}),
  body: { text: d.body },
  ...(d.footer ? { footer: { text: d.footer } } : {}),
  ...(d.buttons.length > 0 ? { buttons: d.buttons.map((b) => (b.type === 'url' ? { type: 'url', text: b.text, url: b.url } : { type: 'quick_reply', text: b.text })) } : {}),
});

const draftOf = (t: Template): Draft => ({
  businessNumberId: t.businessNumberId,
  name: t.name,
  language: t.language,
  category: t.category as Draft['category'],
  headerFormat: t.definition?.header?.format ?? 'none',
  header: t.definition?.header?.format === 'text' ? t.definition.header.text : '',
  body: t.definition?.body.text ?? t.body,
  footer: t.definition?.footer?.text ?? '',
  buttons: (t.definition?.buttons ?? []).map((b) => ({ type: b.type, text: b.text, url: b.type === 'url' ? b.url : '' })),
});

const example = (text: string) => fillPlaceholders(text, (name) => `[${name}]`);

/** Create or edit a template: the API's own checks as you type, and a preview of the message. */
export function TemplateForm({ editing, onSaved, onCancel }: { editing: Template | undefined; onSaved: (message: string) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState<Draft>(editing ? draftOf(editing) : blank);
  const [problem, setProblem] = useState<ApiProblem>();
  const body = useRef<HTMLTextAreaElement>(null);
  // Edit moves the focus here, so keyboard and screen-reader users land on what they chose to change.
  useEffect(() => void (editing && body.current?.focus()), []);
  const set = (change: Partial<Draft>) => setDraft({ ...draft, ...change });
  const setButton = (i: number, change: Partial<Button>) => set({ buttons: draft.buttons.map((b, j) => (j === i ? { ...b, ...change } : b)) });

  const checked = TemplateDefinition.safeParse(definitionOf(draft));
  const localErrors = checked.success ? [] : checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const result = editing
        ? await api<Template>('PUT', `/v1/templates/${encodeURIComponent(editing.id)}`, { definition: definitionOf(draft) })
        : await api<Template>('POST', '/v1/templates', { businessNumberId: draft.businessNumberId, name: draft.name, language: draft.language, category: draft.category, definition: definitionOf(draft) });
      setProblem(undefined);
      setDraft(blank);
      onSaved(`${result.name} saved: ${result.status}`);
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      setProblem(err);
    }
  };
  const field = (name: 'businessNumberId' | 'name' | 'language' | 'header' | 'footer', label: string, props: Record<string, unknown> = {}) => (
    <div>
      <label for={`tpl-${name}`}>{label}</label>
      <input id={`tpl-${name}`} value={draft[name]} onInput={(e) => set({ [name]: e.currentTarget.value })} {...props} />
    </div>
  );

  return (
    <form class="template-form" onSubmit={(e) => void save(e)} aria-labelledby="template-form-title">
      <h2 id="template-form-title">{editing ? `Edit ${editing.name} (back to review)` : 'New template'}</h2>
      {!editing && field('businessNumberId', 'Business number id', { required: true, inputMode: 'numeric' })}
      {!editing && field('name', 'Name (lower case, digits, _)', { required: true })}
      {!editing && field('language', 'Language', { required: true })}
      {!editing && (
        <div>
          <label for="tpl-category">Category</label>
          <select id="tpl-category" value={draft.category} onChange={(e) => set({ category: e.currentTarget.value as Draft['category'] })}>
            <option value="utility">utility</option>
            <option value="marketing">marketing</option>
            <option value="authentication">authentication</option>
          </select>
        </div>
      )}
      <div>
        <label for="tpl-header-format">Header</label>
        <select id="tpl-header-format" value={draft.headerFormat} onChange={(e) => set({ headerFormat: e.currentTarget.value as Draft['headerFormat'] })}>
          <option value="none">none</option>
          <option value="text">text</option>
          <option value="image">image (its link is given at send time)</option>
        </select>
      </div>
      {draft.headerFormat === 'text' && field('header', 'Header text', { required: true })}
      <div>
        <label for="tpl-body">Body, with {'{{1}}'} or {'{{name}}'} placeholders</label>
        <textarea id="tpl-body" ref={body} rows={4} value={draft.body} onInput={(e) => set({ body: e.currentTarget.value })} required />
      </div>
      {field('footer', 'Footer (optional)')}
      <fieldset>
        <legend>Buttons</legend>
        {draft.buttons.map((b, i) => (
          <div class="button-row" key={i}>
            <label for={`tpl-button-${i}-type`}>Button {i + 1} kind</label>
            <select id={`tpl-button-${i}-type`} value={b.type} onChange={(e) => setButton(i, { type: e.currentTarget.value as Button['type'] })}>
              <option value="quick_reply">quick reply</option>
              <option value="url">link</option>
            </select>
            <label for={`tpl-button-${i}-text`}>Button {i + 1} text</label>
            <input id={`tpl-button-${i}-text`} value={b.text} onInput={(e) => setButton(i, { text: e.currentTarget.value })} required />
            {b.type === 'url' && <label for={`tpl-button-${i}-url`}>Button {i + 1} link (may end with {'{{1}}'})</label>}
            {b.type === 'url' && <input id={`tpl-button-${i}-url`} type="url" value={b.url} onInput={(e) => setButton(i, { url: e.currentTarget.value })} required />}
            <button type="button" class="secondary" onClick={() => set({ buttons: draft.buttons.filter((_, j) => j !== i) })}>
              Remove button {i + 1}
            </button>
          </div>
        ))}
        {draft.buttons.length < 10 && (
          <button type="button" class="secondary" onClick={() => set({ buttons: [...draft.buttons, { type: 'quick_reply', text: '', url: '' }] })}>
            Add a button
          </button>
        )}
      </fieldset>
      <figure class="phone" aria-label="Preview">
        <TemplateMessage
          {...(draft.headerFormat === 'none' ? {} : { header: { format: draft.headerFormat, text: example(draft.header) } })}
          body={example(draft.body) || 'The message appears here as you type.'}
          footer={draft.footer}
          buttons={draft.buttons.map((b) => b.text || '…')}
        />
        <figcaption class="muted">{placeholdersIn(draft.body).length} body parameter(s) to fill at send time</figcaption>
      </figure>
      {draft.body && localErrors.length > 0 && (
        <ul class="error" role="status">{localErrors.map((m) => <li key={m}>{m}</li>)}</ul>
      )}
      <button type="submit" disabled={localErrors.length > 0}>{editing ? 'Save and resubmit' : 'Submit for review'}</button>
      {editing && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      <Problem problem={problem} />
    </form>
  );
}
