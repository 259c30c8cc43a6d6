// Fetch helpers, the live event stream, and the router (view state lives in the URL).
import { signal } from '@preact/signals';

const meta = (name: string): string => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
export const TOKEN = meta('mlruns-token');
export const READ_ONLY = meta('mlruns-readonly') === '1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

function revive(_k: string, v: unknown): unknown {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

/**
 * Answers the server put in the page's HTML (`<script id="mlruns-answers">`) to the requests the
 * app makes first, keyed by URL: each serves one `get` of its URL, and all are dropped at the
 * first change of route (after that, data is asked for).
 */
let answers: Map<string, unknown> | undefined;
function takeAnswer(url: string): unknown {
  if (answers === undefined) {
    const el = document.getElementById('mlruns-answers');
    answers = new Map();
    try {
      if (el?.textContent) answers = new Map(Object.entries(JSON.parse(el.textContent, revive) as Record<string, unknown>));
    } catch {
      // asked for instead
    }
    el?.remove();
  }
  const a = answers.get(url);
  answers.delete(url);
  return a;
}

/** GETs under way (without an abort signal), by URL: a second ask for one shares its answer. */
const inflight = new Map<string, Promise<unknown>>();

/**
 * The JSON answer of a GET: from the page's HTML when it brought it (once), else shared with the
 * same GET under way (see {@link prefetch}), else asked for.
 */
export function get<T = any>(url: string, signal?: AbortSignal): Promise<T> {
  const answered = takeAnswer(url);
  if (answered !== undefined) return Promise.resolve(answered as T);
  if (signal) return fetchJson<T>(url, signal);
  let p = inflight.get(url) as Promise<T> | undefined;
  if (!p) {
    p = fetchJson<T>(url);
    inflight.set(url, p);
    const done = (): void => void inflight.delete(url);
    p.then(done, done);
  }
  return p;
}

/**
 * Asks for `url` now, for a `get` of it that will follow (a click that changes the route: the
 * server works while the page renders the new state).
 */
export function prefetch(url: string): void {
  get(url).catch(() => undefined);
}

async function fetchJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...(signal ? { signal } : {}) });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text, revive);
  } catch {
    body = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, body?.message ?? res.statusText, body ?? {});
  return body as T;
}

export async function post<T = any>(url: string, data: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Mlruns-Token': TOKEN },
    body: JSON.stringify(data),
  });
  const body = (await res.json().catch(() => ({}))) as any;
  if (!res.ok) throw new ApiError(res.status, body?.message ?? res.statusText, body ?? {});
  return body as T;
}

/** A query string (shared with the server, which keys the answers in a page's HTML by these URLs). */
export { appQuery as q } from '../../src/ui/app-urls.js';

// ------------------------------------------------------------------ router

export const route = signal({ path: location.pathname, search: new URLSearchParams(location.search) });
// The HTML's answers are for the first route only.
const firstRoute = route.value;
route.subscribe((r) => {
  if (r !== firstRoute) answers = new Map();
});

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  route.value = { path: location.pathname, search: new URLSearchParams(location.search) };
  if (!replace) window.scrollTo(0, 0);
}

/** Sets query parameters of the current page (replacing the history entry). */
export function setQuery(changes: Record<string, string | null>): void {
  const s = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') s.delete(k);
    else s.set(k, v);
  }
  const str = s.toString();
  navigate(location.pathname + (str ? `?${str}` : ''), true);
}

window.addEventListener('popstate', () => {
  route.value = { path: location.pathname, search: new URLSearchParams(location.search) };
});

document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/api/')) return;
  e.preventDefault();
  navigate(href);
});

// ------------------------------------------------------------------ live events

export interface ChangeEvent {
  type: string;
  experimentId: string;
  runId?: string;
  key?: string;
  points?: { value: number; step: number; timestamp: number }[];
  [k: string]: unknown;
}

type Listener = (e: ChangeEvent | { type: 'reset' }) => void;
const listeners = new Set<Listener>();
export const liveState = signal<'connecting' | 'live' | 'offline'>('connecting');
export const liveCount = signal(0);

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

let es: EventSource | null = null;
export function startLive(): void {
  if (es) return;
  es = new EventSource('/api/events');
  es.onopen = () => (liveState.value = 'live');
  es.onerror = () => (liveState.value = 'offline');
  es.onmessage = (m) => {
    const e = JSON.parse(m.data, revive) as ChangeEvent;
    liveCount.value++;
    for (const l of listeners) l(e);
  };
  es.addEventListener('reset', () => {
    for (const l of listeners) l({ type: 'reset' });
  });
}

export const fmtNum = (v: unknown): string => {
  if (typeof v !== 'number') return v === undefined || v === null ? '' : String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
};

export const fmtTime = (ms: number | null | undefined): string => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '');

export const fmtDuration = (a: number | null | undefined, b: number | null | undefined): string => {
  if (!a || !b) return '';
  const s = Math.max(0, (b - a) / 1000);
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${(s / 60).toFixed(1)}min`;
  return `${(s / 3600).toFixed(1)}h`;
};
