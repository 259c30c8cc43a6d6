// Shared bits: MLflow-style errors with a caret, the damaged-store warnings, the 404 page.
import { ApiError } from './api';

export function ErrorBox({ error }: { error: Error }) {
  const b = error instanceof ApiError ? error.body : {};
  const text = typeof b['text'] === 'string' ? (b['text'] as string) : null;
  const pos = typeof b['position'] === 'number' ? (b['position'] as number) : null;
  return (
    <div class="error" role="alert">
      <div>
        {b['error_code'] ? <code>{String(b['error_code'])}</code> : null} {error.message}
      </div>
      {text !== null && pos !== null ? (
        <pre class="caret" aria-label={`error at position ${pos}`}>
          {text}
          {'\n'}
          {' '.repeat(Array.from(text.slice(0, pos)).length)}^
        </pre>
      ) : null}
    </div>
  );
}

export function Warnings({ list }: { list: { code: string; path: string; message: string }[] }) {
  if (!list?.length) return null;
  return (
    <details class="warnings" aria-live="polite" open={list.length <= 3}>
      <summary>
        ⚠ {list.length} damaged entr{list.length === 1 ? 'y was' : 'ies were'} skipped while reading the store
      </summary>
      <ul>
        {list.map((w, i) => (
          <li key={i}>
            <code>{w.code}</code> {w.message} <span class="muted mono">{w.path}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function NotFound({ what }: { what: string }) {
  return (
    <section class="page notfound">
      <h1>404: not found</h1>
      <p>{what}</p>
      <p>
        <a href="/">← Back to experiments</a>{' '}
        <button class="link" onClick={() => history.back()}>
          or go back
        </button>
      </p>
    </section>
  );
}
