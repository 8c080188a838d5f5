import { useEffect, useRef, useState } from 'preact/hooks';
import { TemplateDefinition, fillPlaceholders, isNamed, placeholdersIn, type TemplateButton } from '../../lib/template-definition';
import { TEMPLATE_LIMITS, templateRuleProblems } from '../../lib/template-rules';
import { api, apiKey, ApiProblem, type Template } from './api';
import { Problem } from './problem';
import { TemplateMessage } from './template-message';

type HeaderFormat = 'none' | 'text' | 'image' | 'video' | 'document' | 'location';
interface Draft {
  businessNumberId: string;
  name: string;
  language: string;
  category: 'utility' | 'marketing' | 'authentication';
  headerFormat: HeaderFormat;
  header: string;
  headerExample: string;
  sampleMediaId: string;
  body: string;
  /** Example values by placeholder name ("1", "first_name"…). */
  examples: Record<string, string>;
  footer: string;
  buttons: TemplateButton[];
  authentication?: TemplateDefinition['authentication'];
}

const blank: Draft = { businessNumberId: '', name: '', language: 'en_US', category: 'utility', headerFormat: 'none', header: '', headerExample: '', sampleMediaId: '', body: '', examples: {}, footer: '', buttons: [] };

/** The whole template as the API takes it: nothing the form does not show may be lost on an edit. */
function definitionOf(d: Draft) {
  const header =
    d.headerFormat === 'text'
      ? { header: { format: 'text' as const, text: d.header, ...(d.headerExample ? { example: d.headerExample } : {}) } }
      : d.headerFormat === 'location'
        ? { header: { format: 'location' as const } }
        : d.headerFormat !== 'none'
          ? { header: { format: d.headerFormat, ...(d.sampleMediaId ? { sample: { mediaId: d.sampleMediaId } } : {}) } }
          : {};
  const names = placeholdersIn(d.body);
  const filled = names.filter((n) => d.examples[n]);
  const named = names.some((n) => !/^\d+$/.test(n));
  const examples = filled.length === 0 ? {} : { examples: named ? Object.fromEntries(filled.map((n) => [n, d.examples[n]!])) : names.map((n) => d.examples[n] ?? '') };
  return {
    ...header,
    body: { text: d.body, ...examples },
    ...(d.footer ? { footer: { text: d.footer } } : {}),
    // An emptied example field is no example at all (the rules then say it is required).
    ...(d.buttons.length > 0 ? { buttons: d.buttons.map((b) => (b.type === 'url' && !b.example ? { type: b.type, text: b.text, url: b.url } : b)) } : {}),
    ...(d.authentication ? { authentication: d.authentication } : {}),
  };
}

function draftOf(t: Template): Draft {
  const def = t.definition;
  const header = def?.header;
  const given = def?.body.examples;
  const names = placeholdersIn(def?.body.text ?? t.body);
  const examples = Array.isArray(given) ? Object.fromEntries(names.map((n, i) => [n, given[i] ?? ''])) : { ...(given ?? {}) };
  return {
    businessNumberId: t.businessNumberId,
    name: t.name,
    language: t.language,
    category: t.category as Draft['category'],
    headerFormat: header?.format ?? 'none',
    header: header?.format === 'text' ? header.text : '',
    headerExample: header?.format === 'text' ? (header.example ?? '') : '',
    sampleMediaId: header && 'sample' in header && header.sample ? header.sample.mediaId : '',
    body: def?.body.text ?? t.body,
    examples,
    footer: def?.footer?.text ?? '',
    buttons: def?.buttons ?? [],
    ...(def?.authentication ? { authentication: def.authentication } : {}),
  };
}

/** A button of another kind keeps only its text: each kind has its own fields (the API's schema is strict). */
function fresh(type: TemplateButton['type'], text: string): TemplateButton {
  if (type === 'url') return { type, text, url: '' };
  if (type === 'phone_number') return { type, text, phoneNumber: '' };
  if (type === 'copy_code') return { type, example: '' };
  return { type: 'quick_reply', text };
}

/**
 * What would be refused, as the supervisor types: the API's shape first, then Meta's rules (lib/template-rules.ts).
 * A blank example field is sent as '' to keep the others in their places; the shape refuses an empty string, but
 * that is the rules' business (example_required names the placeholder), and it must not hide the other rules.
 */
function localProblems(definition: ReturnType<typeof definitionOf>, checked: ReturnType<typeof TemplateDefinition.safeParse>, category: string): string[] {
  const examples = definition.body.examples as string[] | Record<string, string> | undefined;
  const blankExample = (path: PropertyKey[]) => path.length === 3 && path[0] === 'body' && path[1] === 'examples' && (examples as Record<PropertyKey, string> | undefined)?.[path[2]!] === '';
  const shape = checked.success ? [] : checked.error.issues.filter((i) => !blankExample(i.path));
  if (shape.length > 0) return shape.map((i) => `${i.path.join('.')}: ${i.message}`);
  return templateRuleProblems(checked.success ? checked.data : (definition as TemplateDefinition), category).map((p) => p.message);
}

const example = (text: string) => fillPlaceholders(text, (name) => `[${name}]`);
const count = (text: string, max: number) => <small class={text.length > max ? 'error' : 'muted'}>{text.length}/{max}</small>;

/** Create or edit a template: Meta's rules as you type (lib/template-rules.ts), and a preview of the message. */
export function TemplateForm({ editing, onSaved, onCancel }: { editing: Template | undefined; onSaved: (message: string) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState<Draft>(editing ? draftOf(editing) : blank);
  const [problem, setProblem] = useState<ApiProblem>();
  const body = useRef<HTMLTextAreaElement>(null);
  // Edit moves the focus here, so keyboard and screen-reader users land on what they chose to change.
  useEffect(() => void (editing && body.current?.focus()), []);
  const set = (change: Partial<Draft>) => setDraft({ ...draft, ...change });
  const setButton = (i: number, change: Partial<TemplateButton>) => set({ buttons: draft.buttons.map((b, j) => (j === i ? ({ ...b, ...change } as TemplateButton) : b)) });

  const definition = definitionOf(draft);
  const checked = TemplateDefinition.safeParse(definition);
  const localErrors = localProblems(definition, checked, draft.category);

  const uploadSample = async (file: File) => {
    const form = new FormData();
    form.set('file', file);
    const response = await fetch('/v1/media', { method: 'POST', headers: { authorization: `Bearer ${apiKey.get() ?? ''}` }, body: form });
    const answer = (await response.json()) as { mediaId?: string; code?: string; title?: string; detail?: string };
    if (!response.ok || !answer.mediaId) return setProblem(new ApiProblem(response.status, answer.code ?? 'error', answer.title ?? 'Upload refused', answer.detail, answer));
    set({ sampleMediaId: answer.mediaId });
  };
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const result = editing
        ? await api<Template>('PUT', `/v1/templates/${encodeURIComponent(editing.id)}`, { definition })
        : await api<Template>('POST', '/v1/templates', { businessNumberId: draft.businessNumberId, name: draft.name, language: draft.language, category: draft.category, definition });
      setProblem(undefined);
      setDraft(blank);
      onSaved(`${result.name} saved: ${result.status}`);
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      setProblem(err);
    }
  };
  const field = (name: 'businessNumberId' | 'name' | 'language' | 'header' | 'headerExample' | 'footer', label: string, props: Record<string, unknown> = {}) => (
    <div>
      <label for={`tpl-${name}`}>{label}</label>
      <input id={`tpl-${name}`} value={draft[name]} onInput={(e) => set({ [name]: e.currentTarget.value })} {...props} />
    </div>
  );
  const placeholders = placeholdersIn(draft.body);

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
        <select id="tpl-header-format" value={draft.headerFormat} onChange={(e) => set({ headerFormat: e.currentTarget.value as HeaderFormat })}>
          {(['none', 'text', 'image', 'video', 'document', 'location'] as const).map((f) => <option value={f} key={f}>{f}</option>)}
        </select>
      </div>
      {draft.headerFormat === 'text' && field('header', 'Header text', { required: true })}
      {draft.headerFormat === 'text' && count(draft.header, TEMPLATE_LIMITS.headerText)}
      {draft.headerFormat === 'text' && placeholdersIn(draft.header).length === 1 && field('headerExample', 'Example for the header placeholder')}
      {['image', 'video', 'document'].includes(draft.headerFormat) && (
        <div>
          <label for="tpl-sample">Header sample for WhatsApp's review {draft.sampleMediaId ? `(uploaded: ${draft.sampleMediaId})` : '(required)'}</label>
          <input id="tpl-sample" type="file" accept="image/jpeg,image/png" onChange={(e) => { const file = e.currentTarget.files?.[0]; if (file) void uploadSample(file); }} />
        </div>
      )}
      <div>
        <label for="tpl-body">Body, with {'{{1}}'} or {'{{name}}'} placeholders</label>
        <textarea id="tpl-body" ref={body} rows={4} value={draft.body} onInput={(e) => set({ body: e.currentTarget.value })} required />
        {count(draft.body, TEMPLATE_LIMITS.bodyText)}
      </div>
      {placeholders.map((name) => (
        <div key={name}>
          <label for={`tpl-example-${name}`}>Example for {`{{${name}}}`}</label>
          <input id={`tpl-example-${name}`} value={draft.examples[name] ?? ''} onInput={(e) => set({ examples: { ...draft.examples, [name]: e.currentTarget.value } })} />
        </div>
      ))}
      {field('footer', 'Footer (optional)')}
      {draft.footer && count(draft.footer, TEMPLATE_LIMITS.footerText)}
      <fieldset>
        <legend>Buttons</legend>
        {draft.buttons.map((b, i) => (
          <div class="button-row" key={i}>
            <label for={`tpl-button-${i}-type`}>Button {i + 1} kind</label>
            <select id={`tpl-button-${i}-type`} value={b.type} onChange={(e) => set({ buttons: draft.buttons.map((x, j) => (j === i ? fresh(e.currentTarget.value as TemplateButton['type'], 'text' in b ? b.text : '') : x)) })}>
              <option value="quick_reply">quick reply</option>
              <option value="url">link</option>
              <option value="phone_number">phone number</option>
              <option value="copy_code">copy code</option>
              {b.type === 'flow' && <option value="flow">Flow</option>}
            </select>
            {'text' in b && <label for={`tpl-button-${i}-text`}>Button {i + 1} text</label>}
            {'text' in b && <input id={`tpl-button-${i}-text`} value={b.text} onInput={(e) => setButton(i, { text: e.currentTarget.value })} required />}
            {'text' in b && count(b.text, TEMPLATE_LIMITS.buttonText)}
            {b.type === 'url' && <label for={`tpl-button-${i}-url`}>Button {i + 1} link (may end with {'{{1}}'})</label>}
            {b.type === 'url' && <input id={`tpl-button-${i}-url`} type="url" value={b.url} onInput={(e) => setButton(i, { url: e.currentTarget.value })} required />}
            {b.type === 'url' && placeholdersIn(b.url).length > 0 && <label for={`tpl-button-${i}-example`}>Button {i + 1} example for {'{{1}}'}</label>}
            {b.type === 'url' && placeholdersIn(b.url).length > 0 && <input id={`tpl-button-${i}-example`} value={b.example ?? ''} onInput={(e) => setButton(i, { example: e.currentTarget.value })} />}
            {b.type === 'phone_number' && <label for={`tpl-button-${i}-phone`}>Button {i + 1} phone number</label>}
            {b.type === 'phone_number' && <input id={`tpl-button-${i}-phone`} value={b.phoneNumber} onInput={(e) => setButton(i, { phoneNumber: e.currentTarget.value })} required />}
            {b.type === 'copy_code' && <label for={`tpl-button-${i}-code`}>Button {i + 1} sample code</label>}
            {b.type === 'copy_code' && <input id={`tpl-button-${i}-code`} value={b.example} onInput={(e) => setButton(i, { example: e.currentTarget.value })} required />}
            <button type="button" class="secondary" onClick={() => set({ buttons: draft.buttons.filter((_, j) => j !== i) })}>
              Remove button {i + 1}
            </button>
          </div>
        ))}
        {draft.buttons.length < TEMPLATE_LIMITS.buttons && (
          <button type="button" class="secondary" onClick={() => set({ buttons: [...draft.buttons, { type: 'quick_reply', text: '' }] })}>
            Add a button
          </button>
        )}
      </fieldset>
      <figure class="phone" aria-label="Preview">
        <TemplateMessage
          {...(draft.headerFormat === 'none' ? {} : { header: { format: draft.headerFormat, text: example(draft.header) } })}
          body={example(draft.body) || 'The message appears here as you type.'}
          footer={draft.footer}
          buttons={draft.buttons.map((b) => ('text' in b ? b.text || '…' : 'Copy offer code'))}
        />
        <figcaption class="muted">{placeholders.length} body parameter(s) to fill at send time{checked.success && isNamed(checked.data) ? ' (named)' : ''}</figcaption>
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
