// Experiments, run, compare, charts and model-registry pages.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, READ_ONLY, fmtDuration, fmtNum, fmtTime, get, navigate, post, q, route, setQuery, subscribe } from './api';
import type { ChangeEvent } from './api';
import { Chart } from './chart';
import type { ChartRun } from './chart';
import { ErrorBox, NotFound, Warnings } from './common';
import { BoxPlot, ParallelCoords, Scatter } from './plots';

/** Fetches `url`; re-fetches (debounced) when a live event passes `relevant`. */
function useData<T = any>(url: string | null, relevant: (e: ChangeEvent | { type: 'reset' }) => boolean = () => true) {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!url) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    get<T>(url).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: Error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [url, tick]);
  useEffect(() => {
    let t: number | null = null;
    const off = subscribe((e) => {
      if (!relevant(e) || t !== null) return;
      t = window.setTimeout(() => {
        t = null;
        setTick((n) => n + 1);
      }, 200);
    });
    return () => {
      off();
      if (t !== null) clearTimeout(t);
    };
  }, [url]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

async function act(f: () => Promise<unknown>, onError: (e: Error) => void): Promise<void> {
  try {
    await f();
  } catch (e) {
    onError(e as Error);
  }
}

function ask(label: string, value = ''): string | null {
  const v = window.prompt(label, value);
  return v === null || v.trim() === '' ? null : v;
}

// ------------------------------------------------------------------ experiments

export function ExperimentsPage() {
  const s = route.value.search;
  const view = s.get('view') ?? 'ACTIVE_ONLY';
  const search = s.get('q') ?? '';
  const { data, error } = useData(`/api/experiments${q({ view, q: search })}`, (e) => e.type !== 'metrics_appended');
  const [sel, setSel] = useState<Set<string>>(new Set());
  const [err, setErr] = useState<Error | null>(null);
  const exps: any[] = data?.experiments ?? [];
  return (
    <section class="page">
      <h1>Experiments</h1>
      <div class="searchbar">
        <label>
          Search <input type="search" value={search} placeholder="name contains…" onInput={(e) => setQuery({ q: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          Show{' '}
          <select value={view} onChange={(e) => setQuery({ view: (e.target as HTMLSelectElement).value })}>
            <option value="ACTIVE_ONLY">active</option>
            <option value="DELETED_ONLY">deleted</option>
            <option value="ALL">all</option>
          </select>
        </label>
        <button disabled={!sel.size} onClick={() => navigate(`/experiments/${[...sel].join(',')}`)}>
          Runs of {sel.size || ''} selected
        </button>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {err ? <ErrorBox error={err} /> : null}
      <Warnings list={data?.warnings ?? []} />
      <table class="list">
        <thead>
          <tr>
            <th />
            <th>Name</th>
            <th>ID</th>
            <th class="num">Runs</th>
            <th class="num">Deleted runs</th>
            <th>Lifecycle</th>
            <th>Created</th>
            {!READ_ONLY ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {exps.map((e) => (
            <tr key={e.experimentId} data-experiment-id={e.experimentId}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`select ${e.name}`}
                  checked={sel.has(e.experimentId)}
                  onChange={() => {
                    const n = new Set(sel);
                    if (n.has(e.experimentId)) n.delete(e.experimentId);
                    else n.add(e.experimentId);
                    setSel(n);
                  }}
                />
              </td>
              <td>
                <a href={`/experiments/${e.experimentId}`}>{e.name}</a>
              </td>
              <td class="mono">{e.experimentId}</td>
              <td class="num">{e.runs ?? '?'}</td>
              <td class="num">{e.deletedRuns ?? '?'}</td>
              <td>{e.lifecycleStage}</td>
              <td>{fmtTime(e.creationTime)}</td>
              {!READ_ONLY ? (
                <td class="actions">
                  <button class="link" onClick={() => { const n = ask('New name', e.name); if (n) void act(() => post(`/api/experiments/${e.experimentId}/rename`, { name: n }), setErr); }}>
                    rename
                  </button>
                  {e.lifecycleStage === 'deleted' ? (
                    <button class="link" onClick={() => void act(() => post(`/api/experiments/${e.experimentId}/restore`), setErr)}>
                      restore
                    </button>
                  ) : (
                    <button class="link" onClick={() => void act(() => post(`/api/experiments/${e.experimentId}/delete`), setErr)}>
                      delete
                    </button>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {data && !exps.length ? <p class="muted">No experiments.</p> : null}
    </section>
  );
}

// ------------------------------------------------------------------ run

function KV({ title, obj, onDelete }: { title: string; obj: Record<string, unknown>; onDelete?: (k: string) => void }) {
  const keys = Object.keys(obj).sort();
  return (
    <section class="card">
      <h2>
        {title} <span class="muted">({keys.length})</span>
      </h2>
      {keys.length ? (
        <table class="kv">
          <tbody>
            {keys.map((k) => (
              <tr key={k}>
                <th class="mono">{k}</th>
                <td class="mono">{typeof obj[k] === 'number' ? fmtNum(obj[k]) : String(obj[k])}</td>
                {onDelete ? (
                  <td>
                    <button class="link" aria-label={`delete tag ${k}`} onClick={() => onDelete(k)}>
                      ×
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">none</p>
      )}
    </section>
  );
}

export function RunPage({ id, artifactPath }: { id: string; artifactPath: string | null }) {
  const { data, error } = useData(`/api/runs/${encodeURIComponent(id)}`, (e) => e.type === 'reset' || (e as ChangeEvent).runId === id);
  const [err, setErr] = useState<Error | null>(null);
  if (error instanceof ApiError && error.status === 404) return <NotFound what={`No run with id '${id}'.`} />;
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="muted">loading…</p>;
  const run = data.run;
  const info = run.info;
  const tags: Record<string, string> = run.data.tags;
  const userTags = Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith('mlflow.')));
  const sysTags = Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith('mlflow.')));
  const metricKeys = Object.keys(run.data.metrics).sort();
  const parent = tags['mlflow.parentRunId'];
  const datasets: any[] = run.inputs?.datasetInputs ?? [];
  const modelsIn: any[] = run.inputs?.modelInputs ?? [];
  const modelsOut: any[] = run.outputs?.modelOutputs ?? [];
  let loggedHistory: any[] = [];
  try {
    loggedHistory = tags['mlflow.log-model.history'] ? JSON.parse(tags['mlflow.log-model.history']) : [];
  } catch {
    loggedHistory = [];
  }
  return (
    <section class="page run-page">
      <nav class="crumbs">
        <a href="/">Experiments</a> / <a href={`/experiments/${info.experimentId}`}>{data.experimentName ?? info.experimentId}</a> / {info.runName ?? info.runId}
      </nav>
      <h1>
        {info.runName ?? info.runId} <span class={`status s-${info.status}`}>{info.status}</span>
        {info.lifecycleStage === 'deleted' ? <span class="status s-deleted">deleted</span> : null}
      </h1>
      {err ? <ErrorBox error={err} /> : null}
      <Warnings list={data.warnings ?? []} />
      {!READ_ONLY ? (
        <div class="toolbar">
          <button onClick={() => { const n = ask('New run name', info.runName ?? ''); if (n) void act(() => post(`/api/runs/${id}/rename`, { name: n }), setErr); }}>Rename</button>
          {info.lifecycleStage === 'deleted' ? (
            <button onClick={() => void act(() => post(`/api/runs/${id}/restore`), setErr)}>Restore</button>
          ) : (
            <button onClick={() => void act(() => post(`/api/runs/${id}/delete`), setErr)}>Delete</button>
          )}
          <button onClick={() => { const k = ask('Tag key'); if (!k) return; const v = window.prompt(`Value of ${k}`, '') ?? ''; void act(() => post(`/api/runs/${id}/set-tag`, { key: k, value: v }), setErr); }}>
            Set tag
          </button>
        </div>
      ) : null}
      <section class="card">
        <table class="kv">
          <tbody>
            <tr><th>Run ID</th><td class="mono">{info.runId}</td></tr>
            <tr><th>Experiment</th><td><a href={`/experiments/${info.experimentId}`}>{data.experimentName ?? info.experimentId}</a></td></tr>
            <tr><th>Started</th><td>{fmtTime(info.startTime)}</td></tr>
            <tr><th>Duration</th><td>{fmtDuration(info.startTime, info.endTime)}</td></tr>
            <tr><th>User</th><td>{info.userId}</td></tr>
            <tr><th>Artifact URI</th><td class="mono">{info.artifactUri}</td></tr>
            {parent ? <tr><th>Parent run</th><td><a href={`/runs/${parent}`}>{parent}</a></td></tr> : null}
            {data.children?.length ? (
              <tr>
                <th>Child runs</th>
                <td>{data.children.map((c: any) => <a key={c.runId} href={`/runs/${c.runId}`} class="pill">{c.runName ?? c.runId}</a>)}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </section>
      <div class="cols">
        <KV title="Parameters" obj={run.data.params} />
        <section class="card">
          <h2>
            Metrics <span class="muted">({metricKeys.length})</span>
          </h2>
          <table class="kv">
            <thead>
              <tr><th>key</th><th class="num">latest</th><th class="num">min</th><th class="num">max</th><th class="num">points</th></tr>
            </thead>
            <tbody>
              {metricKeys.map((k) => (
                <tr key={k}>
                  <th class="mono"><a href={`/charts?runs=${id}&metrics=${encodeURIComponent(k)}`}>{k}</a></th>
                  <td class="num">{fmtNum(run.data.metrics[k])}</td>
                  <td class="num">{fmtNum(data.history[k]?.min)}</td>
                  <td class="num">{fmtNum(data.history[k]?.max)}</td>
                  <td class="num">{data.history[k]?.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      {metricKeys.length ? (
        <section class="card">
          <h2>Metric history</h2>
          <div class="charts">
            {metricKeys.slice(0, 12).map((k) => (
              <Chart key={k} runs={[{ id, name: info.runName ?? id }]} metric={k} x="step" height={200} />
            ))}
          </div>
        </section>
      ) : null}
      <div class="cols">
        <KV title="Tags" obj={userTags} {...(!READ_ONLY ? { onDelete: (k: string) => void act(() => post(`/api/runs/${id}/delete-tag`, { key: k }), setErr) } : {})} />
        <KV title="System tags" obj={sysTags} />
      </div>
      <section class="card">
        <h2>Dataset inputs <span class="muted">({datasets.length})</span></h2>
        {datasets.length ? (
          <table class="list">
            <thead><tr><th>Name</th><th>Digest</th><th>Context</th><th>Source</th><th>Schema</th></tr></thead>
            <tbody>
              {datasets.map((d, i) => (
                <tr key={i}>
                  <td>{d.dataset?.name}</td>
                  <td class="mono">{d.dataset?.digest}</td>
                  <td>{(d.tags ?? []).map((t: any) => `${t.key}=${t.value}`).join(', ')}</td>
                  <td class="mono small">{d.dataset?.sourceType}: {d.dataset?.source}</td>
                  <td class="mono small">{d.dataset?.schema?.slice?.(0, 200)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p class="muted">none</p>}
      </section>
      <section class="card">
        <h2>Logged models <span class="muted">({modelsOut.length + modelsIn.length + loggedHistory.length})</span></h2>
        {[...modelsOut.map((m) => ({ ...m, dir: 'output' })), ...modelsIn.map((m) => ({ ...m, dir: 'input' }))].map((m: any, i) => (
          <div key={i} class="mono small">{m.dir}: {m.modelId} {m.step !== undefined ? `(step ${m.step})` : ''}</div>
        ))}
        {loggedHistory.map((m: any, i) => (
          <div key={`h${i}`}>
            <a href={`/runs/${id}/artifacts/${m.artifact_path}`}>{m.artifact_path}</a> <span class="muted">{Object.keys(m.flavors ?? {}).join(', ')}</span>
          </div>
        ))}
        {!modelsOut.length && !modelsIn.length && !loggedHistory.length ? <p class="muted">none</p> : null}
      </section>
      <Artifacts runId={id} path={artifactPath ?? ''} />
    </section>
  );
}

const TEXT_EXT = /\.(txt|log|json|ya?ml|csv|tsv|md|py|ts|js|cfg|ini|toml)$|(^|\/)MLmodel$|(^|\/)(requirements\.txt|conda\.yaml|python_env\.yaml)$/i;
const IMG_EXT = /\.(png|jpe?g|gif|webp|bmp)$/i;

function Preview({ runId, path }: { runId: string; path: string }) {
  const url = `/api/raw/${runId}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setText(null);
    setErr(null);
    if (!TEXT_EXT.test(path)) return;
    fetch(`${url}?head=262144`, { credentials: 'same-origin' })
      .then(async (r) => (r.ok ? setText(await r.text()) : setErr(`${r.status} ${await r.text()}`)))
      .catch((e: Error) => setErr(e.message));
  }, [url]);
  const download = <a href={`${url}?download=1`} download>download</a>;
  if (IMG_EXT.test(path)) return <div class="preview"><img src={url} alt={path} />{download}</div>;
  if (!TEXT_EXT.test(path)) return <div class="preview"><p class="muted">No preview for this file type.</p>{download}</div>;
  if (err) return <p class="error">{err}</p>;
  if (text === null) return <p class="muted">loading…</p>;
  if (/\.csv$|\.tsv$/i.test(path)) {
    const sep = /\.tsv$/i.test(path) ? '\t' : ',';
    const lines = text.split(/\r?\n/).filter(Boolean).slice(0, 200);
    return (
      <div class="preview">
        <table class="list small">
          <tbody>
            {lines.map((l, i) => (
              <tr key={i}>{l.split(sep).map((c, j) => (i === 0 ? <th key={j}>{c}</th> : <td key={j}>{c}</td>))}</tr>
            ))}
          </tbody>
        </table>
        {download}
      </div>
    );
  }
  let shown = text;
  if (/\.json$/i.test(path)) {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      shown = text;
    }
  }
  return <div class="preview"><pre class="mono">{shown}</pre>{download}</div>;
}

function Artifacts({ runId, path }: { runId: string; path: string }) {
  const dir = path;
  const { data, error } = useData(`/api/runs/${encodeURIComponent(runId)}/artifacts/${dir.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`, () => false);
  const parts = path.split('/').filter(Boolean);
  return (
    <section class="card artifacts">
      <h2>Artifacts</h2>
      <nav class="crumbs">
        <a href={`/runs/${runId}`}>artifacts</a>
        {parts.map((p, i) => (
          <span key={i}> / <a href={`/runs/${runId}/artifacts/${parts.slice(0, i + 1).join('/')}`}>{p}</a></span>
        ))}
      </nav>
      {error instanceof ApiError && error.status === 404 ? (
        <div class="error" role="alert">
          404: no artifact '{path}' in this run. <a href={`/runs/${runId}`}>Back to the run</a>
        </div>
      ) : error ? (
        <ErrorBox error={error} />
      ) : !data ? (
        <p class="muted">loading…</p>
      ) : data.isDir ? (
        <div class="cols">
          <ul class="files">
            {data.files.length === 0 ? <li class="muted">empty</li> : null}
            {data.files.map((f: any) => (
              <li key={f.path}>
                <a href={`/runs/${runId}/artifacts/${f.path}`}>
                  {f.isDir ? '📁 ' : '📄 '}
                  {f.path.split('/').pop()}
                </a>{' '}
                <span class="muted">{f.isDir ? '' : `${f.fileSize ?? ''} B`}</span>
              </li>
            ))}
          </ul>
          {data.model ? (
            <div>
              <h3>MLmodel</h3>
              <Preview runId={runId} path={[...parts, 'MLmodel'].join('/')} />
            </div>
          ) : null}
        </div>
      ) : (
        <Preview runId={runId} path={path} />
      )}
    </section>
  );
}

// ------------------------------------------------------------------ compare

export function ComparePage() {
  const s = route.value.search;
  const ids = (s.get('runs') ?? '').split(',').filter(Boolean);
  const diffOnly = s.get('diff') === '1';
  const [runs, setRuns] = useState<any[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    Promise.all(ids.map((id) => get(`/api/runs/${encodeURIComponent(id)}`).then((r) => r.run))).then(setRuns, setError);
  }, [ids.join(',')]);
  if (!ids.length) return <section class="page"><h1>Compare</h1><p>Select runs in a runs table, then “Compare”.</p></section>;
  if (error instanceof ApiError && error.status === 404) return <NotFound what={error.message} />;
  if (error) return <ErrorBox error={error} />;
  if (!runs) return <p class="muted">loading…</p>;
  const names = runs.map((r) => r.info.runName ?? r.info.runId.slice(0, 8));
  const rowsOf = (kind: 'params' | 'metrics' | 'tags') => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.data[kind])))].sort();
    return keys
      .map((k) => ({ k, vals: runs.map((r) => r.data[kind][k]) }))
      .filter((row) => !diffOnly || new Set(row.vals.map((v) => (typeof v === 'number' ? fmtNum(v) : String(v)))).size > 1);
  };
  const params = rowsOf('params');
  const metrics = rowsOf('metrics');
  const tags = rowsOf('tags');
  const allParamKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.params)))].sort();
  const allMetricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))].sort();
  const num = (v: any): number | string | null => (v === undefined ? null : typeof v === 'number' ? v : Number.isFinite(Number(v)) && v !== '' ? Number(v) : String(v));
  const axesKeys = (s.get('axes') ?? [...allParamKeys.map((k) => `params.${k}`), ...allMetricKeys.map((k) => `metrics.${k}`)].slice(0, 8).join(',')).split(',').filter(Boolean);
  const axes = axesKeys.map((a) => {
    const [kind, ...rest] = a.split('.');
    const k = rest.join('.');
    return { label: a, values: runs.map((r) => num(kind === 'params' ? r.data.params[k] : r.data.metrics[k])) };
  });
  const sx = s.get('sx') ?? (allParamKeys[0] ? `params.${allParamKeys[0]}` : '');
  const sy = s.get('sy') ?? (allMetricKeys[0] ? `metrics.${allMetricKeys[0]}` : '');
  const axisOf = (a: string) => {
    const [kind, ...rest] = a.split('.');
    const k = rest.join('.');
    return { label: a, values: runs.map((r) => num(kind === 'params' ? r.data.params[k] : r.data.metrics[k])) };
  };
  const boxMetric = s.get('bm') ?? allMetricKeys[0] ?? '';
  const boxGroup = s.get('bg') ?? allParamKeys[0] ?? '';
  const groups = new Map<string, number[]>();
  for (const r of runs) {
    const g = boxGroup ? r.data.params[boxGroup] ?? '(none)' : 'all';
    const v = r.data.metrics[boxMetric];
    if (typeof v === 'number') groups.set(g, [...(groups.get(g) ?? []), v]);
  }
  const table = (title: string, rows: { k: string; vals: any[] }[]) => (
    <section class="card">
      <h2>{title} <span class="muted">({rows.length})</span></h2>
      <div class="hscroll">
        <table class="list compare">
          <thead><tr><th />{names.map((n, i) => <th key={i}><a href={`/runs/${runs[i].info.runId}`}>{n}</a></th>)}</tr></thead>
          <tbody>
            {rows.map((row) => {
              const distinct = new Set(row.vals.map((v) => String(v))).size > 1;
              return (
                <tr key={row.k} class={distinct ? 'differs' : ''}>
                  <th class="mono">{row.k}</th>
                  {row.vals.map((v, i) => <td key={i} class="mono">{typeof v === 'number' ? fmtNum(v) : v ?? ''}</td>)}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
  const keyOptions = [...allParamKeys.map((k) => `params.${k}`), ...allMetricKeys.map((k) => `metrics.${k}`)];
  return (
    <section class="page compare-page">
      <h1>Compare {runs.length} runs</h1>
      <div class="toolbar">
        <label><input type="checkbox" checked={diffOnly} onChange={() => setQuery({ diff: diffOnly ? null : '1' })} /> differences only</label>
        <a href={`/charts?runs=${ids.join(',')}`}>Chart these runs →</a>
      </div>
      {table('Parameters', params)}
      {table('Metrics', metrics)}
      {table('Tags', tags)}
      <section class="card">
        <h2>Parallel coordinates</h2>
        <details>
          <summary>axes</summary>
          {keyOptions.map((k) => (
            <label key={k} class="inline">
              <input type="checkbox" checked={axesKeys.includes(k)} onChange={() => setQuery({ axes: (axesKeys.includes(k) ? axesKeys.filter((x) => x !== k) : [...axesKeys, k]).join(',') || ',' })} /> {k}
            </label>
          ))}
        </details>
        <ParallelCoords axes={axes} names={names} />
      </section>
      <div class="cols">
        <section class="card">
          <h2>Scatter</h2>
          <label>x <select value={sx} onChange={(e) => setQuery({ sx: (e.target as HTMLSelectElement).value })}>{keyOptions.map((k) => <option key={k}>{k}</option>)}</select></label>{' '}
          <label>y <select value={sy} onChange={(e) => setQuery({ sy: (e.target as HTMLSelectElement).value })}>{keyOptions.map((k) => <option key={k}>{k}</option>)}</select></label>
          {sx && sy ? <Scatter x={axisOf(sx)} y={axisOf(sy)} names={names} /> : null}
        </section>
        <section class="card">
          <h2>Box plots</h2>
          <label>metric <select value={boxMetric} onChange={(e) => setQuery({ bm: (e.target as HTMLSelectElement).value })}>{allMetricKeys.map((k) => <option key={k}>{k}</option>)}</select></label>{' '}
          <label>grouped by <select value={boxGroup} onChange={(e) => setQuery({ bg: (e.target as HTMLSelectElement).value })}><option value="">(all)</option>{allParamKeys.map((k) => <option key={k}>{k}</option>)}</select></label>
          <BoxPlot label={boxMetric} groups={[...groups].map(([name, values]) => ({ name, values }))} />
        </section>
      </div>
      <ul class="legend">{names.map((n, i) => <li key={i} class={`sw sw${i % 10}`}>{n}</li>)}</ul>
    </section>
  );
}

// ------------------------------------------------------------------ charts

export function ChartsPage() {
  const s = route.value.search;
  const exps = s.get('experiments') ?? '';
  const filter = s.get('filter') ?? '';
  const [runs, setRuns] = useState<any[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const listed = (s.get('runs') ?? '').split(',').filter(Boolean);
  const ids = exps ? (runs ?? []).map((r) => r.info.runId as string) : listed;
  useEffect(() => {
    if (exps) {
      // The runs of a search (up to 1000): one request for names, params and metric keys.
      get(`/api/runs${q({ experiments: exps, filter, limit: 1000, count: '0' })}`).then((r) => setRuns(r.runs), setError);
      return;
    }
    Promise.all(listed.map((id) => get(`/api/runs/${encodeURIComponent(id)}`).then((r) => r.run))).then(setRuns, setError);
  }, [listed.join(','), exps, filter]);
  const allMetrics = useMemo(() => [...new Set((runs ?? []).flatMap((r) => Object.keys(r.data.metrics)))].sort(), [runs]);
  const chosen = (s.get('metrics') ?? '').split(',').filter(Boolean);
  const metrics = chosen.length ? chosen : allMetrics;
  const x = s.get('x') ?? 'step';
  const logY = s.get('logy') === '1';
  const logX = s.get('logx') === '1';
  const smooth = Number(s.get('smooth') ?? '0') || 0;
  const group = s.get('group') ?? '';
  const bands = (s.get('bands') ?? 'std') as 'none' | 'std' | 'minmax';
  const all = s.get('all') === '1';
  const from = s.get('from');
  const to = s.get('to');
  const range: [number, number] | null = from !== null && to !== null ? [Number(from), Number(to)] : null;
  if (!listed.length && !exps) return <section class="page"><h1>Charts</h1><p>Select runs in a runs table, then “Chart”.</p></section>;
  if (error instanceof ApiError && error.status === 404) return <NotFound what={error.message} />;
  if (error) return <ErrorBox error={error} />;
  // The runs of a search with the metrics named: the charts ask the server for the search's
  // series right away (in parallel with the run list, which the toolbar needs).
  const early = exps !== '' && chosen.length > 0 && !group;
  if (!runs && !early) return <p class="muted">loading…</p>;
  const list = runs ?? [];
  const paramKeys = [...new Set(list.flatMap((r) => Object.keys(r.data.params)))].sort();
  const tagKeys = [...new Set(list.flatMap((r) => Object.keys(r.data.tags)))].filter((k) => !k.startsWith('mlflow.')).sort();
  const chartRuns: ChartRun[] = list.map((r) => {
    const [kind, ...rest] = group.split('.');
    const k = rest.join('.');
    const g = !group ? null : kind === 'tags' ? r.data.tags[k] ?? '(none)' : r.data.params[k] ?? '(none)';
    return { id: r.info.runId, name: r.info.runName ?? r.info.runId.slice(0, 8), group: g };
  });
  const onRange = (r: [number, number] | null): void => setQuery({ from: r ? String(r[0]) : null, to: r ? String(r[1]) : null });
  return (
    <section class="page charts-page">
      <h1>Charts of {ids.length} run{ids.length === 1 ? '' : 's'}</h1>
      <div class="toolbar wrap">
        <label>x{' '}
          <select value={x} onChange={(e) => setQuery({ x: (e.target as HTMLSelectElement).value, from: null, to: null })}>
            <option value="step">step</option>
            <option value="time">wall time</option>
            <option value="relative">relative time</option>
            {allMetrics.map((m) => <option key={m} value={`metric:${m}`}>metric {m}</option>)}
          </select>
        </label>
        <label><input type="checkbox" checked={logY} onChange={() => setQuery({ logy: logY ? null : '1' })} /> log y</label>
        <label><input type="checkbox" checked={logX} onChange={() => setQuery({ logx: logX ? null : '1' })} /> log x</label>
        <label>smoothing <input type="range" min="0" max="0.99" step="0.01" value={smooth} onChange={(e) => setQuery({ smooth: (e.target as HTMLInputElement).value === '0' ? null : (e.target as HTMLInputElement).value })} /> {smooth.toFixed(2)}</label>
        <label>group by{' '}
          <select value={group} onChange={(e) => setQuery({ group: (e.target as HTMLSelectElement).value })}>
            <option value="">(none)</option>
            {paramKeys.map((k) => <option key={k} value={`params.${k}`}>params.{k}</option>)}
            {tagKeys.map((k) => <option key={k} value={`tags.${k}`}>tags.{k}</option>)}
          </select>
        </label>
        {group ? (
          <label>band{' '}
            <select value={bands} onChange={(e) => setQuery({ bands: (e.target as HTMLSelectElement).value })}>
              <option value="std">mean ± std</option>
              <option value="minmax">min–max</option>
              <option value="none">mean only</option>
            </select>
          </label>
        ) : null}
        <label title="every point of the range, no decimation (small ranges)"><input type="checkbox" checked={all} onChange={() => setQuery({ all: all ? null : '1' })} /> all points</label>
        <details class="inline">
          <summary>metrics ({metrics.length})</summary>
          {allMetrics.map((m) => (
            <label key={m} class="inline">
              <input type="checkbox" checked={metrics.includes(m)} onChange={() => setQuery({ metrics: (metrics.includes(m) ? metrics.filter((k) => k !== m) : [...metrics, m]).join(',') })} /> {m}
            </label>
          ))}
        </details>
      </div>
      <div class="charts">
        {metrics.map((m) => (
          <Chart key={m} runs={chartRuns} {...(exps ? { source: { experiments: exps, filter } } : {})} metric={m} x={x} logY={logY} logX={logX} smooth={smooth} {...(group ? { bands } : {})} all={all} range={range} onRange={onRange} />
        ))}
      </div>
    </section>
  );
}

// ------------------------------------------------------------------ registry

export function ModelsPage() {
  const search = route.value.search.get('q') ?? '';
  const { data, error } = useData(`/api/models${q({ q: search })}`, () => false);
  const models: any[] = data?.models ?? [];
  return (
    <section class="page">
      <h1>Registered models</h1>
      <div class="searchbar">
        <label>Search <input type="search" value={search} onInput={(e) => setQuery({ q: (e.target as HTMLInputElement).value })} /></label>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      <Warnings list={data?.warnings ?? []} />
      <table class="list">
        <thead><tr><th>Name</th><th>Latest versions</th><th>Aliases</th><th>Tags</th><th>Updated</th></tr></thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.name}>
              <td><a href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</a></td>
              <td>{(m.latestVersions ?? []).map((v: any) => `v${v.version} (${v.currentStage})`).join(', ')}</td>
              <td>{Object.entries(m.aliases ?? {}).map(([a, v]) => <span key={a} class="pill">@{a} → v{String(v)}</span>)}</td>
              <td class="small">{Object.entries(m.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')}</td>
              <td>{fmtTime(m.lastUpdatedTimestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && !models.length ? <p class="muted">No registered models.</p> : null}
    </section>
  );
}

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export function ModelPage({ name }: { name: string }) {
  const { data, error, reload } = useData(`/api/models/${encodeURIComponent(name)}`, () => false);
  const [err, setErr] = useState<Error | null>(null);
  if (error instanceof ApiError && error.status === 404) return <NotFound what={`No registered model named '${name}'.`} />;
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="muted">loading…</p>;
  const m = data.model;
  const run = (f: () => Promise<unknown>): void => void act(async () => { await f(); reload(); }, setErr);
  const base = `/api/models/${encodeURIComponent(name)}`;
  return (
    <section class="page model-page">
      <nav class="crumbs"><a href="/models">Models</a> / {name}</nav>
      <h1>{name}</h1>
      {err ? <ErrorBox error={err} /> : null}
      <Warnings list={data.warnings ?? []} />
      {m.description ? <p>{m.description}</p> : null}
      <section class="card">
        <h2>Aliases</h2>
        {Object.entries(m.aliases ?? {}).map(([a, v]) => (
          <span key={a} class="pill">
            @{a} → v{String(v)}{' '}
            {!READ_ONLY ? <button class="link" aria-label={`delete alias ${a}`} onClick={() => run(() => post(`${base}/delete-alias`, { alias: a }))}>×</button> : null}
          </span>
        ))}
        {!Object.keys(m.aliases ?? {}).length ? <span class="muted">none </span> : null}
        {!READ_ONLY ? (
          <button onClick={() => { const a = ask('Alias (e.g. champion)'); if (!a) return; const v = ask(`Version for @${a}`, data.versions[0]?.version ?? ''); if (v) run(() => post(`${base}/set-alias`, { alias: a, version: v })); }}>
            Set alias
          </button>
        ) : null}
      </section>
      <section class="card">
        <h2>Tags</h2>
        {Object.entries(m.tags ?? {}).map(([k, v]) => (
          <span key={k} class="pill">{k}={String(v)} {!READ_ONLY ? <button class="link" aria-label={`delete model tag ${k}`} onClick={() => run(() => post(`${base}/delete-tag`, { key: k }))}>×</button> : null}</span>
        ))}
        {!READ_ONLY ? <button onClick={() => { const k = ask('Tag key'); if (!k) return; const v = window.prompt(`Value of ${k}`, '') ?? ''; run(() => post(`${base}/set-tag`, { key: k, value: v })); }}>Set tag</button> : null}
      </section>
      <section class="card">
        <h2>Versions ({data.versions.length})</h2>
        <table class="list">
          <thead><tr><th>Version</th><th>Stage</th><th>Aliases</th><th>Run</th><th>Source</th><th>Tags</th><th>Created</th></tr></thead>
          <tbody>
            {data.versions.map((v: any) => (
              <tr key={v.version} data-version={v.version}>
                <td>v{v.version}</td>
                <td>
                  {READ_ONLY ? v.currentStage : (
                    <select aria-label={`stage of version ${v.version}`} value={v.currentStage} onChange={(e) => run(() => post(`${base}/transition`, { version: v.version, stage: (e.target as HTMLSelectElement).value }))}>
                      {STAGES.map((st) => <option key={st}>{st}</option>)}
                    </select>
                  )}
                </td>
                <td>{(v.aliases ?? []).map((a: string) => <span key={a} class="pill">@{a}</span>)}</td>
                <td>{v.runId ? <a href={`/runs/${v.runId}`}>{v.runId.slice(0, 8)}</a> : ''}</td>
                <td class="mono small">{v.source}</td>
                <td class="small">{Object.entries(v.tags ?? {}).map(([k, val]) => `${k}=${val}`).join(', ')}</td>
                <td>{fmtTime(v.creationTimestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
