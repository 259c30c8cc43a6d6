// The runs table of one or several experiments: MLflow's filter and order_by (errors with a caret),
// a column chooser that fits the window by default, group by a param or tag, nested runs, and a
// hand-rolled virtualized ARIA grid (rows fetched by offset from the catalog, 100k runs scroll).
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, READ_ONLY, fmtDuration, fmtNum, fmtTime, get, navigate, post, prefetch, q, route, setQuery, subscribe } from './api';
import { ErrorBox, Warnings } from './common';
import { RUNS_PAGE, columnsUrl, experimentUrl, runsPageUrl, tableOrder } from '../../src/ui/app-urls.js';

const ROW_H = 30;

interface Group {
  value: string | null;
  offset: number;
  count: number;
}

/** A group's key in the URL's `collapsed` list (null, i.e. runs without the key, is '-'). */
const groupKeyOf = (v: string | null): string => (v === null ? '-' : `=${v}`);
const parseCollapsed = (s: string | null): Set<string> =>
  new Set(
    (s ?? '')
      .split(',')
      .filter(Boolean)
      .map((x) => {
        try {
          return decodeURIComponent(x);
        } catch {
          return x;
        }
      }),
  );

/** The grid's rows when grouped: a header per group, then its runs unless collapsed. */
function layout(groups: Group[], collapsed: Set<string>): { heads: number[]; rows: number } {
  const heads: number[] = [];
  let d = 0;
  for (const g of groups) {
    heads.push(d);
    d += 1 + (collapsed.has(groupKeyOf(g.value)) ? 0 : g.count);
  }
  return { heads, rows: d };
}

/** Display row `i` -> the group header it is, or the run (global offset in the table's order). */
function locateRow(groups: Group[], heads: number[], i: number): { group: number; run: number | null } {
  let lo = 0;
  let hi = heads.length - 1;
  while (lo < hi) {
    const m = (lo + hi + 1) >>> 1;
    if (heads[m]! <= i) lo = m;
    else hi = m - 1;
  }
  const k = i - heads[lo]!;
  return { group: lo, run: k === 0 ? null : groups[lo]!.offset + k - 1 };
}

interface RunRow {
  info: { runId: string; runName: string | null; status: string; startTime: number | null; endTime: number | null; experimentId: string; lifecycleStage: string };
  data: { metrics: Record<string, number>; params: Record<string, string>; tags: Record<string, string> };
}

interface Col {
  id: string; // attr:name | metrics.x | params.x | tags.x
  label: string;
  width: number;
  orderKey: string; // for order_by
}

const BASE: Col[] = [
  { id: 'attr:name', label: 'Run', width: 220, orderKey: 'attributes.run_name' },
  { id: 'attr:status', label: 'Status', width: 90, orderKey: 'attributes.status' },
  { id: 'attr:start', label: 'Started', width: 165, orderKey: 'attributes.start_time' },
  { id: 'attr:duration', label: 'Duration', width: 80, orderKey: 'attributes.end_time' },
];

const quoteKey = (k: string): string => (/^[A-Za-z_][\w.]*$/.test(k) ? k : '`' + k + '`');

function cell(r: RunRow, id: string): string {
  if (id === 'attr:name') return r.info.runName ?? r.info.runId;
  if (id === 'attr:status') return r.info.status;
  if (id === 'attr:start') return fmtTime(r.info.startTime);
  if (id === 'attr:duration') return fmtDuration(r.info.startTime, r.info.endTime);
  const dot = id.indexOf('.');
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  if (kind === 'metrics') return fmtNum(r.data.metrics[key]);
  if (kind === 'params') return r.data.params[key] ?? '';
  if (kind === 'tags') return r.data.tags[key] ?? '';
  return '';
}

export function RunsPage({ ids }: { ids: string[] }) {
  const s = route.value.search;
  const filter = s.get('filter') ?? '';
  const orderBy = s.get('order') ?? '';
  const view = s.get('view') ?? 'ACTIVE_ONLY';
  const group = s.get('group') ?? '';
  const collapsedParam = s.get('collapsed');
  const collapsed = useMemo(() => parseCollapsed(collapsedParam), [collapsedParam]);
  const [groups, setGroups] = useState<Group[] | null>(null);
  const colsParam = s.get('cols');
  const [draftFilter, setDraftFilter] = useState(filter);
  const [draftOrder, setDraftOrder] = useState(orderBy);
  const [total, setTotal] = useState<number | null>(null);
  const [loadedRows, setLoadedRows] = useState(0);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [warnings, setWarnings] = useState<any[]>([]);
  const [columns, setColumns] = useState<{ params: string[]; metrics: string[]; tags: string[] }>({ params: [], metrics: [], tags: [] });
  const [expNames, setExpNames] = useState<string[]>([]);
  const [pages, setPages] = useState<Map<number, RunRow[]>>(new Map());
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(600);
  const [winW, setWinW] = useState(window.innerWidth);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [focusRow, setFocusRow] = useState(0);
  const [chooser, setChooser] = useState(false);
  const [ms, setMs] = useState<number | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const gen = useRef(0);
  const loading = useRef(new Set<number>());

  const order = tableOrder(group, orderBy);
  const qkey = JSON.stringify([ids, filter, order, view]);

  useEffect(() => {
    setDraftFilter(filter);
    setDraftOrder(orderBy);
  }, [filter, orderBy]);


  // The rows come first; the count of matching runs follows in its own request (until it is
  // known, the grid holds the rows loaded and one more, and aria-rowcount is -1: unknown). The
  // count does not depend on the order: a new sort keeps it.
  const countKey = JSON.stringify([ids, filter, view]);
  const counted = useRef<string | null>(null);
  async function fetchCount(): Promise<void> {
    if (counted.current === countKey) return;
    const k = countKey;
    counted.current = k;
    try {
      const r = await get(`/api/runs${q({ experiments: ids.join(','), filter, view, offset: 0, limit: 1 })}`);
      if (counted.current === k) setTotal(r.total);
    } catch (e) {
      if (counted.current === k) setError(e as Error);
    }
  }

  async function fetchPage(p: number, g: number): Promise<void> {
    if (loading.current.has(p)) return;
    loading.current.add(p);
    try {
      const t0 = performance.now();
      // The first page of the page's own query may have come with the HTML (get takes it).
      const r = await get(runsPageUrl(ids, filter, order, view, p));
      if (g !== gen.current) return;
      setMs(performance.now() - t0);
      if (p === 0) setLoadedRows(r.runs.length + (r.runs.length === RUNS_PAGE ? 1 : 0));
      void fetchCount();
      setWarnings(r.warnings ?? []);
      setError(null);
      setPages((old) => new Map(old).set(p, r.runs));
    } catch (e) {
      if (g === gen.current) setError(e as Error);
    } finally {
      loading.current.delete(p);
    }
  }

  async function fetchGroups(g: number): Promise<void> {
    if (!group) return setGroups(null);
    try {
      const r = await get(`/api/groups${q({ experiments: ids.join(','), filter, order_by: order.slice(1), view, group })}`);
      if (g === gen.current) setGroups(r.groups);
    } catch (e) {
      if (g === gen.current) setError(e as Error);
    }
  }

  // New query: drop every cached page. A layout effect: the page is asked for (or taken from the
  // HTML) before the browser paints the emptied grid, not a frame later.
  useLayoutEffect(() => {
    gen.current++;
    loading.current.clear();
    setPages(new Map());
    if (counted.current !== countKey) {
      counted.current = null;
      setTotal(null);
    }
    setLoadedRows(0);
    setGroups(null);
    setSelected(new Set());
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
    setFocusRow(0);
    void fetchPage(0, gen.current);
    void fetchGroups(gen.current);
  }, [qkey]);

  // After the first page's request (the server answers in order): the columns and the names. A
  // layout effect: when the HTML brought them, the first paint has them.
  useLayoutEffect(() => {
    get(columnsUrl(ids, view)).then(setColumns, () => undefined);
    Promise.all(ids.map((id) => get(experimentUrl(id)).then((r) => r.experiment.name as string, () => id))).then(setExpNames);
  }, [ids.join(','), view]);

  // Grouped: group headers and the runs of the open groups; else one row per run.
  const grouped = group !== '' && groups !== null;
  const lay = useMemo(() => (grouped ? layout(groups!, collapsed) : null), [grouped, groups, collapsed]);
  const nRows = lay ? lay.rows : group ? 0 : total ?? loadedRows;
  const at = (i: number): { group: number | null; run: number | null } => (lay ? locateRow(groups!, lay.heads, i) : { group: null, run: i });

  // Window: the rows in view (+ overscan), fetched by page.
  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - 10);
  const last = Math.min(nRows - 1, Math.ceil((scrollTop + viewH) / ROW_H) + 10);
  useEffect(() => {
    const need = new Set<number>();
    for (let i = first; i <= last; i++) {
      const r = at(i).run;
      if (r !== null) need.add(Math.floor(r / RUNS_PAGE));
    }
    for (const p of need) if (!pages.has(p)) void fetchPage(p, gen.current);
  }, [first, last, pages, qkey, lay]);

  const toggleGroup = (gi: number, open?: boolean): void => {
    const g = groups?.[gi];
    if (!g) return;
    const k = groupKeyOf(g.value);
    const next = new Set(collapsed);
    const isOpen = !collapsed.has(k);
    if (open === isOpen) return;
    if (isOpen) next.add(k);
    else next.delete(k);
    setQuery({ collapsed: [...next].map(encodeURIComponent).join(',') || null });
  };

  useEffect(() => {
    const onResize = (): void => {
      setWinW(window.innerWidth);
      if (scroller.current) setViewH(scroller.current.clientHeight);
    };
    onResize();
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);

  // Live: metric values change in place; other changes re-read the loaded pages (and the count).
  useEffect(() => {
    let t: number | null = null;
    const refresh = (): void => {
      if (t !== null) return;
      t = window.setTimeout(() => {
        t = null;
        const g = gen.current;
        counted.current = null; // the count too
        for (const p of pages.keys()) {
          loading.current.delete(p);
          void fetchPage(p, g);
        }
        if (!pages.size) void fetchPage(0, g);
        void fetchGroups(g);
      }, 250);
    };
    const off = subscribe((e) => {
      if (e.type === 'reset') return refresh();
      if (!ids.includes((e as any).experimentId)) return;
      if (e.type === 'metrics_appended' && !filter && !order.some((o) => o.startsWith('metrics.'))) {
        const last = e.points?.[e.points.length - 1];
        if (!last) return;
        setPages((old) => {
          let changed = false;
          const next = new Map(old);
          for (const [p, rows] of old) {
            const i = rows.findIndex((r) => r.info.runId === e.runId);
            if (i < 0) continue;
            const r = rows[i]!;
            const copy = rows.slice();
            copy[i] = { ...r, data: { ...r.data, metrics: { ...r.data.metrics, [e.key!]: last.value } } };
            next.set(p, copy);
            changed = true;
          }
          return changed ? next : old;
        });
        return;
      }
      refresh();
    });
    return () => {
      off();
      if (t !== null) clearTimeout(t);
    };
  }, [qkey, pages]);

  // Columns: the chosen ones, else as many metrics then params as fit the window.
  const allCols: Col[] = useMemo(() => {
    const mk = (kind: string, k: string): Col => ({ id: `${kind}.${k}`, label: `${kind === 'metrics' ? '' : kind === 'params' ? '' : '#'}${k}`, width: 120, orderKey: `${kind}.${quoteKey(k)}` });
    return [...columns.metrics.map((k) => mk('metrics', k)), ...columns.params.map((k) => mk('params', k)), ...columns.tags.filter((k) => !k.startsWith('mlflow.')).map((k) => mk('tags', k))];
  }, [columns]);
  const cols: Col[] = useMemo(() => {
    if (colsParam !== null) {
      const want = colsParam.split(',').filter(Boolean);
      return [...BASE, ...want.map((id) => allCols.find((c) => c.id === id) ?? { id, label: id.replace(/^(metrics|params)\./, ''), width: 120, orderKey: id })];
    }
    let room = winW - 40 - 36 - BASE.reduce((a, c) => a + c.width, 0);
    const out = [...BASE];
    for (const c of allCols) {
      if (room < c.width) break;
      out.push(c);
      room -= c.width;
    }
    return out;
  }, [colsParam, allCols, winW]);

  const rowAt = (i: number): RunRow | undefined => pages.get(Math.floor(i / RUNS_PAGE))?.[i % RUNS_PAGE];
  // A new query's first page is asked for at the click, before the page renders the new state.
  const submit = (e: Event): void => {
    e.preventDefault();
    prefetch(runsPageUrl(ids, draftFilter, tableOrder(group, draftOrder), view, 0));
    setQuery({ filter: draftFilter, order: draftOrder });
  };
  const sortBy = (c: Col): void => {
    const cur = orderBy.trim();
    const next = cur === `${c.orderKey} ASC` ? `${c.orderKey} DESC` : `${c.orderKey} ASC`;
    prefetch(runsPageUrl(ids, filter, tableOrder(group, next), view, 0));
    setQuery({ order: next });
  };
  const sortState = (c: Col): 'ascending' | 'descending' | undefined =>
    orderBy.trim() === `${c.orderKey} ASC` ? 'ascending' : orderBy.trim() === `${c.orderKey} DESC` ? 'descending' : undefined;
  const toggle = (id: string): void => {
    const n = new Set(selected);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    setSelected(n);
  };
  const onKey = (e: KeyboardEvent): void => {
    const n = nRows;
    const here = at(focusRow);
    if (here.run === null && here.group !== null && ['Enter', ' ', 'ArrowLeft', 'ArrowRight'].includes(e.key)) {
      // A group header: Enter / Space toggle, Left collapses, Right expands.
      e.preventDefault();
      toggleGroup(here.group, e.key === 'ArrowLeft' ? false : e.key === 'ArrowRight' ? true : undefined);
      return;
    }
    const runAtFocus = (): RunRow | undefined => (here.run === null ? undefined : rowAt(here.run));
    let next = focusRow;
    if (e.key === 'ArrowDown') next = Math.min(n - 1, focusRow + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, focusRow - 1);
    else if (e.key === 'PageDown') next = Math.min(n - 1, focusRow + Math.floor(viewH / ROW_H));
    else if (e.key === 'PageUp') next = Math.max(0, focusRow - Math.floor(viewH / ROW_H));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Enter') {
      const r = runAtFocus();
      if (r) navigate(`/runs/${r.info.runId}`);
      return;
    } else if (e.key === ' ') {
      const r = runAtFocus();
      if (r) toggle(r.info.runId);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    setFocusRow(next);
    const el = scroller.current;
    if (el) {
      if (next * ROW_H < el.scrollTop) el.scrollTop = next * ROW_H;
      else if ((next + 1) * ROW_H > el.scrollTop + el.clientHeight - ROW_H) el.scrollTop = (next + 2) * ROW_H - el.clientHeight;
    }
  };
  const act = async (what: 'delete' | 'restore'): Promise<void> => {
    try {
      for (const id of selected) await post(`/api/runs/${id}/${what}`);
      setSelected(new Set());
    } catch (e) {
      setError(e as Error);
    }
  };

  const gridW = 36 + cols.reduce((a, c) => a + c.width, 0);
  const groupLabel = group.replace(/^(params|tags)\./, '').replace(/`/g, '');
  const rows = [];
  for (let i = first; i <= last; i++) {
    const where = at(i);
    if (where.run === null && where.group !== null) {
      const g = groups![where.group]!;
      const open = !collapsed.has(groupKeyOf(g.value));
      const label = g.value === null ? '(none)' : g.value;
      rows.push(
        <div
          role="row"
          aria-rowindex={i + 2}
          aria-expanded={open}
          aria-level={1}
          class={`row group-head${i === focusRow ? ' focus' : ''}`}
          style={{ top: `${(i + 1) * ROW_H}px`, width: `${gridW}px` }}
          key={`g${i}`}
          data-group={label}
        >
          <div role="gridcell" class="c" aria-colspan={cols.length + 1} style={{ width: `${gridW}px` }}>
            <button
              class="link"
              tabIndex={-1}
              aria-label={`${open ? 'collapse' : 'expand'} ${groupLabel} = ${label} (${g.count} run${g.count === 1 ? '' : 's'})`}
              onClick={() => {
                setFocusRow(i);
                toggleGroup(where.group!);
              }}
            >
              {open ? '▾' : '▸'} {groupLabel} = <span class="chip">{label}</span>{' '}
              <span class="muted count">
                ({g.count.toLocaleString()} run{g.count === 1 ? '' : 's'})
              </span>
            </button>
          </div>
        </div>,
      );
      continue;
    }
    const r = where.run === null ? undefined : rowAt(where.run);
    const parent = r?.data.tags['mlflow.parentRunId'];
    rows.push(
      <div
        role="row"
        aria-rowindex={i + 2}
        {...(lay ? { 'aria-level': 2 } : {})}
        aria-selected={r ? selected.has(r.info.runId) : false}
        class={`row${i === focusRow ? ' focus' : ''}${lay ? ' in-group' : ''}`}
        style={{ top: `${(i + 1) * ROW_H}px`, width: `${gridW}px` }}
        key={i}
        data-run-id={r?.info.runId}
      >
        <div role="gridcell" class="c sel" style={{ width: '36px' }}>
          {r ? <input type="checkbox" aria-label={`select ${r.info.runName ?? r.info.runId}`} checked={selected.has(r.info.runId)} onChange={() => toggle(r.info.runId)} tabIndex={-1} /> : null}
        </div>
        {cols.map((c) => (
          <div role="gridcell" class={`c ${c.id.startsWith('metrics.') ? 'num' : ''}`} style={{ width: `${c.width}px` }} key={c.id}>
            {!r ? (
              <span class="muted">…</span>
            ) : c.id === 'attr:name' ? (
              <>
                {parent ? <span class="nest" title={`child of ${parent}`}>↳ </span> : null}
                <a href={`/runs/${r.info.runId}`} tabIndex={-1}>
                  {cell(r, c.id)}
                </a>
                {r.info.lifecycleStage === 'deleted' ? <span class="muted"> (deleted)</span> : null}
              </>
            ) : (
              cell(r, c.id)
            )}
          </div>
        ))}
      </div>,
    );
  }
  const paramsAndTags = [...columns.params.map((k) => `params.${quoteKey(k)}`), ...columns.tags.map((k) => `tags.${quoteKey(k)}`)];
  const chosenIds = cols.slice(BASE.length).map((c) => c.id);
  const sel = [...selected];

  return (
    <section class="page runs-page">
      <nav class="crumbs">
        <a href="/">Experiments</a> / {expNames.join(', ') || ids.join(', ')}
      </nav>
      <form class="searchbar" onSubmit={submit}>
        <label>
          Filter{' '}
          <input name="filter" class="mono wide" value={draftFilter} placeholder="metrics.loss < 0.5 and params.lr = '0.01'" onInput={(e) => setDraftFilter((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Order by{' '}
          <input name="order" class="mono" value={draftOrder} placeholder="metrics.loss ASC" onInput={(e) => setDraftOrder((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Search</button>
        <label>
          Show{' '}
          <select value={view} onChange={(e) => setQuery({ view: (e.target as HTMLSelectElement).value })}>
            <option value="ACTIVE_ONLY">active</option>
            <option value="DELETED_ONLY">deleted</option>
            <option value="ALL">all</option>
          </select>
        </label>
        <label>
          Group by{' '}
          <select name="group" value={group} onChange={(e) => setQuery({ group: (e.target as HTMLSelectElement).value, collapsed: null })}>
            <option value="">(none)</option>
            {paramsAndTags.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </label>
        <button type="button" aria-expanded={chooser} onClick={() => setChooser(!chooser)}>
          Columns ({chosenIds.length})
        </button>
      </form>
      {chooser ? (
        <div class="chooser" role="dialog" aria-label="Columns">
          <button class="link" onClick={() => setQuery({ cols: null })}>fit to window</button>{' '}
          <button class="link" onClick={() => setQuery({ cols: ',' })}>none</button>
          <div class="chooser-list">
            {allCols.map((c) => (
              <label key={c.id}>
                <input
                  type="checkbox"
                  checked={chosenIds.includes(c.id)}
                  onChange={() => {
                    const next = chosenIds.includes(c.id) ? chosenIds.filter((x) => x !== c.id) : [...chosenIds, c.id];
                    setQuery({ cols: next.join(',') || ',' });
                  }}
                />{' '}
                {c.id}
              </label>
            ))}
          </div>
        </div>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      <Warnings list={warnings} />
      <div class="toolbar">
        <span class="count" aria-live="polite">
          {total === null ? 'loading…' : `${total.toLocaleString()} matching run${total === 1 ? '' : 's'}`}
          {ms !== null ? <span class="muted"> ({ms.toFixed(0)} ms)</span> : null}
        </span>
        <button disabled={sel.length < 1} onClick={() => navigate(`/compare?runs=${sel.join(',')}`)}>
          Compare {sel.length || ''}
        </button>
        <button onClick={() => navigate(sel.length ? `/charts?runs=${sel.join(',')}` : `/charts${q({ experiments: ids.join(','), filter })}`)}>
          Chart {sel.length || 'first 1000'}
        </button>
        {!READ_ONLY ? (
          <>
            <button disabled={!sel.length} onClick={() => void act('delete')}>
              Delete
            </button>
            <button disabled={!sel.length} onClick={() => void act('restore')}>
              Restore
            </button>
          </>
        ) : null}
      </div>
      <div
        class="grid"
        role="grid"
        aria-label="Runs"
        aria-rowcount={total === null || (group && !groups) ? -1 : nRows + 1}
        aria-colcount={cols.length + 1}
        aria-multiselectable="true"
        tabIndex={0}
        ref={scroller}
        onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
        onKeyDown={onKey}
      >
        <div class="spacer" style={{ height: `${(nRows + 1) * ROW_H}px`, width: `${gridW}px` }} />
        <div role="row" aria-rowindex={1} class="row head" style={{ width: `${gridW}px` }}>
          <div role="columnheader" class="c sel" style={{ width: '36px' }} />
          {cols.map((c) => (
            <div role="columnheader" class="c" style={{ width: `${c.width}px` }} aria-sort={sortState(c) ?? 'none'} key={c.id} title={c.id}>
              <button class="link" onClick={() => sortBy(c)}>
                {c.label}
                {sortState(c) === 'ascending' ? ' ▲' : sortState(c) === 'descending' ? ' ▼' : ''}
              </button>
            </div>
          ))}
        </div>
        {rows}
      </div>
    </section>
  );
}
