import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem } from './api';
import { Problem } from './problem';

interface Change {
  path: string;
  from?: unknown;
  to?: unknown;
}
interface ConfigState {
  published: { version: number; config: unknown };
  draft?: { draft: unknown; updatedAt: string; updatedBy: string; changes: Change[]; valid: boolean; errors: { path: string; message: string }[] };
}
interface Version {
  version: number;
  publishedAt: string;
  publishedBy: string;
  note?: string;
  rolledBackTo?: number;
}
interface AuditEntry {
  id: string;
  at: string;
  by: string;
  action: string;
  version?: number;
  changes: Change[];
}

const show = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));

/** Supervisors edit the machine configuration as a draft, see errors by field and the diff, publish, roll back. */
export function ConfigPage() {
  const [state, setState] = useState<ConfigState>();
  const [versions, setVersions] = useState<Version[]>([]);
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [message, setMessage] = useState<string>();

  const load = async (resetText: boolean) => {
    const [current, list, log] = await Promise.all([
      api<ConfigState>('GET', '/v1/config'),
      api<{ versions: Version[] }>('GET', '/v1/config/versions'),
      api<{ entries: AuditEntry[] }>('GET', '/v1/config/audit?limit=20'),
    ]);
    setState(current);
    setVersions(list.versions);
    setAudit(log.entries);
    if (resetText) setText(JSON.stringify(current.draft?.draft ?? current.published.config, null, 2));
  };
  useEffect(() => void load(true).catch((err: unknown) => setProblem(err as ApiProblem)), []);

  const run = async (what: () => Promise<unknown>, done: string, resetText = false) => {
    try {
      await what();
      setProblem(undefined);
      setMessage(done);
      await load(resetText);
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      setMessage(undefined);
      setProblem(err);
      await load(false);
    }
  };
  const saveDraft = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      setProblem(new ApiProblem(0, 'invalid_json', 'The draft is not valid JSON', String(err), {}));
      return;
    }
    void run(() => api('PUT', '/v1/config/draft', parsed), 'Draft saved');
  };
  const draft = state?.draft;
  return (
    <section aria-labelledby="config-title">
      <h1 id="config-title">Conversation configuration</h1>
      <p>
        Published version <strong data-testid="published-version">{state?.published.version ?? '…'}</strong>
        {draft && ` · draft by ${draft.updatedBy}, ${new Date(draft.updatedAt).toLocaleString()}`}
      </p>
      <div class="config">
        <div>
          <label for="config-draft">Draft (JSON)</label>
          <textarea id="config-draft" rows={24} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <div class="actions">
            <button type="button" onClick={saveDraft}>Save draft</button>
            <button type="button" onClick={() => void run(() => api('POST', '/v1/config/publish', {}), 'Published', true)} disabled={!draft}>
              Publish draft
            </button>
          </div>
          {message && <p role="status">{message}</p>}
          <Problem problem={problem} />
        </div>
        <div>
          <h2>Validation</h2>
          {draft ? (
            draft.valid ? <p class="ok">The draft is valid.</p> : (
              <ul class="error" aria-label="Field errors">
                {draft.errors.map((e) => <li key={e.path}><code>{e.path}</code>: {e.message}</li>)}
              </ul>
            )
          ) : <p class="muted">No draft yet: edit and save.</p>}
          <h2>Changes from version {state?.published.version}</h2>
          <table aria-label="Draft changes">
            <thead><tr><th scope="col">Field</th><th scope="col">Published</th><th scope="col">Draft</th></tr></thead>
            <tbody>
              {(draft?.changes ?? []).map((c) => <tr key={c.path}><td><code>{c.path}</code></td><td>{show(c.from)}</td><td>{show(c.to)}</td></tr>)}
            </tbody>
          </table>
        </div>
      </div>
      <h2>Versions</h2>
      <table aria-label="Published versions">
        <thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Note</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>{v.version}</td>
              <td>{new Date(v.publishedAt).toLocaleString()}</td>
              <td>{v.publishedBy}</td>
              <td>{v.note ?? ''}</td>
              <td>
                {v.version !== state?.published.version && (
                  <button type="button" onClick={() => void run(() => api('POST', '/v1/config/rollback', { version: v.version }), `Rolled back to version ${v.version}`, true)}>
                    Roll back to {v.version}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Audit log</h2>
      <ol class="audit">
        {audit.map((a) => (
          <li key={a.id}>
            {new Date(a.at).toLocaleString()} · {a.by} · {a.action}
            {a.version ? ` v${a.version}` : ''}: {a.changes.map((c) => c.path).join(', ') || 'no changes'}
          </li>
        ))}
      </ol>
    </section>
  );
}
