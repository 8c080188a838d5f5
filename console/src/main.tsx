import { render } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import { api, apiKey, ApiProblem, type Principal } from './api';
import { AnalysisPage } from './analysis';
import { BoardPage } from './board';
import { ConfigPage } from './config';
import { HealthBanner } from './health';

// The inbox and templates pages check templates with the API's own zod schema (lib/template-definition.ts): zod is
// most of the console's weight, so those pages load it when first opened rather than with the board.
const InboxPage = lazy(() => import('./inbox').then((m) => ({ default: m.InboxPage })));
const TemplatesPage = lazy(() => import('./templates').then((m) => ({ default: m.TemplatesPage })));

type PageId = 'board' | 'inbox' | 'templates' | 'config' | 'analysis';

/** Pages, and the roles whose key can use them (the API decides in the end; this only hides dead ends). */
const pages: { id: PageId; label: string; roles: Principal['role'][] }[] = [
  { id: 'board', label: 'Conversations', roles: ['integrator', 'agent', 'supervisor', 'analyst'] },
  { id: 'inbox', label: 'Agent inbox', roles: ['agent', 'integrator'] },
  { id: 'templates', label: 'Templates', roles: ['supervisor', 'integrator', 'agent'] },
  { id: 'config', label: 'Configuration', roles: ['supervisor'] },
  { id: 'analysis', label: 'Analysis', roles: ['analyst', 'supervisor'] },
];

const pageFromHash = (): PageId => {
  const id = location.hash.replace(/^#\/?/, '');
  return pages.some((p) => p.id === id) ? (id as PageId) : 'board';
};

function KeyForm({ onSignedIn }: { onSignedIn: (p: Principal) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    apiKey.set(key.trim());
    try {
      onSignedIn(await api<Principal>('GET', '/v1/whoami'));
    } catch (err) {
      apiKey.clear();
      setError(err instanceof ApiProblem ? `${err.title} (${err.code})` : String(err));
    }
  };
  return (
    <main class="signin">
      <h1>WhatsApp connector console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
        <button type="submit">Sign in</button>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
      <p class="hint">Use the key of your role (agent, supervisor, analyst or integrator); it is kept in this tab only.</p>
    </main>
  );
}

function App() {
  const [principal, setPrincipal] = useState<Principal>();
  const [page, setPage] = useState<PageId>(pageFromHash());
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    if (apiKey.get()) api<Principal>('GET', '/v1/whoami').then(setPrincipal, () => apiKey.clear());
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!principal) return <KeyForm onSignedIn={setPrincipal} />;
  const visible = pages.filter((p) => p.roles.includes(principal.role));
  const current = visible.some((p) => p.id === page) ? page : visible[0]!.id;
  const signOut = () => {
    // The key and the panels this person had open: the next person at this tab starts afresh.
    sessionStorage.clear();
    setPrincipal(undefined);
  };
  return (
    <>
      <header>
        <nav aria-label="Console pages">
          {visible.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === current ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {principal.name} ({principal.role}) <button type="button" onClick={signOut}>Sign out</button>
        </span>
      </header>
      <main>
        {principal.role === 'supervisor' && <HealthBanner />}
        <Suspense fallback={<p class="muted">Loading…</p>}>
          {current === 'board' && <BoardPage />}
          {current === 'inbox' && <InboxPage principal={principal} />}
          {current === 'templates' && <TemplatesPage principal={principal} />}
          {current === 'config' && <ConfigPage />}
          {current === 'analysis' && <AnalysisPage />}
        </Suspense>
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
