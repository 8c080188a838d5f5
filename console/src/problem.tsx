import type { ApiProblem } from './api';

/** A problem from the API, said plainly, with its field errors. */
export function Problem({ problem }: { problem: ApiProblem | undefined }) {
  if (!problem) return null;
  return (
    <div role="alert" class="error">
      <strong>{problem.title}</strong> <code>{problem.code}</code>
      {problem.detail && <p>{problem.detail}</p>}
      {problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((e) => (
            <li key={e.path}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
