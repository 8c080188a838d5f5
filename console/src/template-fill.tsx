import { useEffect, useState } from 'preact/hooks';
import { fillPlaceholders, placeholdersIn, type TemplateDefinition } from '../../lib/template-definition';
import { expectedParameters, type ExpectedComponent } from '../../lib/template-parameters';
import { api, type Template } from './api';
import { TemplateMessage } from './template-message';

/** An approved template as `GET /v1/conversations/:id/templates` lists it. */
export interface ApprovedTemplate {
  name: string;
  language: string;
  category: string;
  body: string;
}

const fill = (text: string, values: Record<string, string>) => fillPlaceholders(text, (name) => values[name] || `{{${name}}}`);

/**
 * What a send of the template must supply, component by component. The full definition (header, URL buttons) comes
 * from `GET /v1/templates/:key`; a template recorded with its body only asks for the body's placeholders.
 */
function componentsOf(template: ApprovedTemplate, definition: TemplateDefinition | undefined): ExpectedComponent[] {
  // Optional ones (a quick-reply button's payload) are left to WhatsApp's default.
  if (definition) return expectedParameters(definition).filter((c) => !c.optional);
  const body = placeholdersIn(template.body);
  return body.length > 0 ? [{ type: 'body', kind: 'text', placeholders: body }] : [];
}

const isMedia = (c: ExpectedComponent) => c.kind === 'image' || c.kind === 'video' || c.kind === 'document';
const fieldKey = (c: ExpectedComponent, name: string) => `${c.card !== undefined ? `card${c.card}.` : ''}${c.type}${c.index ?? ''}.${name}`;
const labelOf = (c: ExpectedComponent, name: string) =>
  (c.card !== undefined ? `Card ${c.card + 1}: ` : '') +
  (c.type === 'body' ? `Parameter {{${name}}}` : c.type === 'header' ? (isMedia(c) ? `Header ${c.kind} (HTTPS link)` : `Header {{${name}}}`) : `Button ${(c.index ?? 0) + 1} link suffix {{${name}}}`);

/** The template's inputs, its preview as the customer will see it, and the message to send once filled in. */
export function useTemplateFill(businessNumberId: string, template: ApprovedTemplate | undefined) {
  // What was read and typed belongs to the template it was for: choosing another shows its own at once. (Clearing
  // them in an effect instead ran after the first keystrokes on a slow machine and wiped them.)
  const templateKey = template ? `${businessNumberId}:${template.name}:${template.language}` : '';
  const [read, setRead] = useState<{ templateKey: string; definition: TemplateDefinition | undefined }>();
  const [typed, setTyped] = useState<{ templateKey: string; values: Record<string, string> }>();
  const definition = read?.templateKey === templateKey ? read.definition : undefined;
  const values = typed?.templateKey === templateKey ? typed.values : {};
  useEffect(() => {
    if (!templateKey) return;
    let live = true;
    // Without the definition the body's placeholders still make a sendable template, so a failed read is no error.
    api<Template>('GET', `/v1/templates/${encodeURIComponent(templateKey)}`).then((t) => live && setRead({ templateKey, definition: t.definition }), () => undefined);
    return () => {
      live = false;
    };
  }, [templateKey]);

  const components = template ? componentsOf(template, definition) : [];
  const valuesOf = (c: ExpectedComponent) => Object.fromEntries(c.placeholders.map((p) => [p, values[fieldKey(c, p)] ?? '']));
  const componentOf = (c: ExpectedComponent) => ({
    type: c.type,
    ...(c.type === 'button' ? { index: c.index, subType: 'url' } : {}),
    parameters: c.placeholders.map((p) =>
      isMedia(c) ? { type: c.kind, link: values[fieldKey(c, p)] ?? '' } : { type: 'text', text: values[fieldKey(c, p)] ?? '', ...(/^\d+$/.test(p) ? {} : { name: p }) },
    ),
  });
  // A carousel's cards go in one `carousel` component, every card the template defines, each with its own parameters.
  const cards = definition?.carousel?.cards ?? [];
  const carousel = cards.length > 0
    ? [{ type: 'carousel', cards: cards.map((_card, cardIndex) => ({ cardIndex, components: components.filter((c) => c.card === cardIndex).map(componentOf) })) }]
    : [];
  const own = components.filter((c) => c.card === undefined).map(componentOf);
  const message = template && {
    type: 'template',
    name: template.name,
    language: template.language,
    ...(own.length + carousel.length > 0 ? { components: [...own, ...carousel] } : {}),
  };
  const headerValues = valuesOf(components.find((c) => c.type === 'header' && c.card === undefined) ?? { type: 'header', kind: 'text', placeholders: [] });
  const bodyValues = valuesOf(components.find((c) => c.type === 'body' && c.card === undefined) ?? { type: 'body', kind: 'text', placeholders: [] });

  const inputs = (idPrefix: string) =>
    components.flatMap((c) =>
      c.placeholders.map((p) => {
        const key = fieldKey(c, p);
        const id = `${idPrefix}-${key.replace(/[^a-z0-9]/gi, '-')}`;
        const onInput = (e: { currentTarget: HTMLInputElement }) => setTyped({ templateKey, values: { ...values, [key]: e.currentTarget.value } });
        return (
          <div key={key}>
            <label for={id}>{labelOf(c, p)}</label>
            {isMedia(c) ? <input id={id} type="url" value={values[key] ?? ''} onInput={onInput} required /> : <input id={id} value={values[key] ?? ''} onInput={onInput} required />}
          </div>
        );
      }),
    );

  const preview = template && (
    <div class="preview" aria-label="Preview" role="group">
      <TemplateMessage
        {...(definition?.header ? { header: definition.header.format === 'text' ? { format: 'text', text: fill(definition.header.text, headerValues) } : { format: definition.header.format } } : {})}
        body={fill(definition?.body.text ?? template.body, bodyValues)}
        {...(definition?.footer ? { footer: definition.footer.text } : {})}
        buttons={(definition?.buttons ?? []).map((b) => ('text' in b ? b.text : 'Copy offer code'))}
      />
      {cards.map((card, i) => {
        const bodyOf = components.find((c) => c.card === i && c.type === 'body');
        return (
          <div key={i} class="template-card" aria-label={`Card ${i + 1}`} role="group">
            <TemplateMessage header={{ format: card.header.format }} body={card.body ? fill(card.body.text, bodyOf ? valuesOf(bodyOf) : {}) : ''} buttons={(card.buttons ?? []).map((b) => ('text' in b ? b.text : ''))} />
          </div>
        );
      })}
    </div>
  );
  const reset = () => setTyped(undefined);
  return { inputs, preview, message, reset };
}
