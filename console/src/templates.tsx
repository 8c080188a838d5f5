import { useState } from 'preact/hooks';
import { TemplateDefinition, placeholdersIn } from '../../lib/template-definition';
import { api, ApiProblem, type Principal, type Template } from './api';
import { useLive } from './live';
import { Problem } from './problem';

interface Draft {
  businessNumberId: string;
  name: string;
  language: string;
  category: 'utility' | 'marketing' | 'authentication';
  header: string;
  body: string;
  footer: string;
}

const blank: Draft = { businessNumberId: '', name: '', language: 'en_US', category: 'utility', header: '', body: '', footer: '' };

const definitionOf = (d: Draft) => ({
  ...(d.header ? { header: { format: 'text', text: d.header } } : {}),
  body: { text: d.body },
  ...(d.footer ? { footer: { text: d.footer } } : {}),
});

/** Templates with their review status (WhatsApp's changes are pushed live), and a form with a live preview. */
export function TemplatesPage({ principal }: { principal: Principal }) {
  const list = useLive<{ templates: Template[] }>('/v1/console/live/templates');
  const [draft, setDraft] = useState<Draft>(blank);
  const [editing, setEditing] = useState<string>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [saved, setSaved] = useState<string>();
  const supervisor = principal.role === 'supervisor';

  const checked = TemplateDefinition.safeParse(definitionOf(draft));
  const localErrors = checked.success ? [] : checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const example = (text: string) => text.replace(/\{\{\s*([a-z0-9_]+)\s*\}\}/g, (_m, name: string) => `[${name}]`);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const result = editing
        ? await api<Template>('PUT', `/v1/templates/${encodeURIComponent(editing)}`, { definition: definitionOf(draft) })
        : await api<Template>('POST', '/v1/templates', { businessNumberId: draft.businessNumberId, name: draft.name, language: draft.language, category: draft.category, definition: definitionOf(draft) });
      setProblem(undefined);
      setSaved(`${result.name} saved: ${result.status}`);
      setEditing(undefined);
      setDraft(blank);
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      setProblem(err);
    }
  };
  const edit = (t: Template) => {
    setEditing(t.id);
    setDraft({ businessNumberId: t.businessNumberId, name: t.name, language: t.language, category: t.category as Draft['category'], header: t.definition?.header?.format === 'text' ? t.definition.header.text : '', body: t.definition?.body.text ?? t.body, footer: t.definition?.footer?.text ?? '' });
  };
  const field = (name: keyof Draft, label: string, props: Record<string, unknown> = {}) => (
    <div>
      <label for={`tpl-${name}`}>{label}</label>
      <input id={`tpl-${name}`} value={draft[name]} onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} {...props} />
    </div>
  );

  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Templates</h1>
      <Problem problem={list.problem} />
      <table class="templates">
        <caption>Message templates and WhatsApp's review</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Language</th><th scope="col">Category</th><th scope="col">Status</th><th scope="col">Number</th><th scope="col">Body</th>{supervisor && <th scope="col"><span class="visually-hidden">Actions</span></th>}</tr>
        </thead>
        <tbody>
          {(list.data?.templates ?? []).map((t) => (
            <tr key={t.id} data-template={t.name}>
              <td>{t.name}</td>
              <td>{t.language}</td>
              <td>{t.category}</td>
              <td><span class={`badge ${t.status.toLowerCase()}`}>{t.status}</span>{t.rejectedReason && <span class="muted"> {t.rejectedReason}</span>}</td>
              <td>{t.businessNumberId}</td>
              <td>{t.body}</td>
              {supervisor && <td><button type="button" onClick={() => edit(t)}>Edit<span class="visually-hidden"> {t.name} ({t.language})</span></button></td>}
            </tr>
          ))}
        </tbody>
      </table>
      {supervisor && (
        <form class="template-form" onSubmit={(e) => void save(e)} aria-labelledby="template-form-title">
          <h2 id="template-form-title">{editing ? `Edit ${draft.name} (back to review)` : 'New template'}</h2>
          {!editing && field('businessNumberId', 'Business number id', { required: true, inputMode: 'numeric' })}
          {!editing && field('name', 'Name (lower case, digits, _)', { required: true })}
          {!editing && field('language', 'Language', { required: true })}
          {!editing && (
            <div>
              <label for="tpl-category">Category</label>
              <select id="tpl-category" value={draft.category} onChange={(e) => setDraft({ ...draft, category: e.currentTarget.value as Draft['category'] })}>
                <option value="utility">utility</option>
                <option value="marketing">marketing</option>
                <option value="authentication">authentication</option>
              </select>
            </div>
          )}
          {field('header', 'Header (optional)')}
          <div>
            <label for="tpl-body">Body, with {'{{1}}'} or {'{{name}}'} placeholders</label>
            <textarea id="tpl-body" rows={4} value={draft.body} onInput={(e) => setDraft({ ...draft, body: e.currentTarget.value })} required />
          </div>
          {field('footer', 'Footer (optional)')}
          <figure class="phone" aria-label="Preview">
            {draft.header && <strong>{example(draft.header)}</strong>}
            <p>{example(draft.body) || 'The message appears here as you type.'}</p>
            {draft.footer && <small>{draft.footer}</small>}
            <figcaption class="muted">{placeholdersIn(draft.body).length} parameter(s) to fill at send time</figcaption>
          </figure>
          {draft.body && localErrors.length > 0 && (
            <ul class="error" role="status">{localErrors.map((m) => <li key={m}>{m}</li>)}</ul>
          )}
          <button type="submit" disabled={localErrors.length > 0}>{editing ? 'Save and resubmit' : 'Submit for review'}</button>
          {editing && <button type="button" class="secondary" onClick={() => { setEditing(undefined); setDraft(blank); }}>Cancel</button>}
          {saved && <p role="status">{saved}</p>}
          <Problem problem={problem} />
        </form>
      )}
    </section>
  );
}
