import { useState } from 'preact/hooks';
import { EDITABLE_STATUSES } from '../../lib/template-rules';
import type { Principal, Template } from './api';
import { useLive } from './live';
import { Problem } from './problem';
import { TemplateForm } from './template-form';

/**
 * Templates with their review status (WhatsApp's changes are pushed live); supervisors create them, and edit those
 * WhatsApp lets be edited (APPROVED, REJECTED, PAUSED: not while in review).
 */
export function TemplatesPage({ principal }: { principal: Principal }) {
  const list = useLive<{ templates: Template[] }>('/v1/console/live/templates');
  const [editing, setEditing] = useState<Template>();
  const [saved, setSaved] = useState<string>();
  const supervisor = principal.role === 'supervisor';

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
              {supervisor && (
                <td>
                  {/* The form writes no carousel: editing one here would drop its cards, so carousels are edited through the API. */}
                  {t.definition?.carousel
                    ? <span class="muted" title="The console's editor does not write carousel cards; edit it with PUT /v1/templates/{key}">Carousel: edit through the API</span>
                    : EDITABLE_STATUSES.includes(t.status)
                    ? <button type="button" onClick={() => setEditing(t)}>Edit<span class="visually-hidden"> {t.name} ({t.language})</span></button>
                    : <span class="muted" title="WhatsApp lets only APPROVED, REJECTED or PAUSED templates be edited">Not editable now</span>}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {saved && <p role="status">{saved}</p>}
      {supervisor && (
        // A fresh form for each template edited, so no field of one carries over to another.
        <TemplateForm
          key={editing?.id ?? 'new'}
          editing={editing}
          onSaved={(message) => {
            setSaved(message);
            setEditing(undefined);
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
    </section>
  );
}
