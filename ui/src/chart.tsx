// A metric chart on uPlot: many runs (or group bands), x by step / wall time / relative time / a
// metric, log scales, EMA smoothing, zoom that re-queries the server's decimation, a crosshair
// synced across charts, and live points appended in place.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError, q, subscribe } from './api';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;
/** From this many runs a chart draws its lines itself (see `drawMany`). */
const MANY = 50;

export interface ChartRun {
  id: string;
  name: string;
  group?: string | null;
}

export interface ChartProps {
  runs: ChartRun[];
  metric: string;
  x: string; // step | time | relative | metric:<key>
  logY?: boolean;
  logX?: boolean;
  smooth?: number; // 0..0.99 EMA weight
  bands?: 'none' | 'std' | 'minmax';
  all?: boolean;
  range?: [number, number] | null;
  onRange?: (r: [number, number] | null) => void;
  height?: number;
  /**
   * The runs of a search (the server picks them, in the runs table's order): the chart asks for
   * them without waiting for `runs` (which may be empty until known).
   */
  source?: { experiments: string; filter: string };
}

interface SeriesAnswer {
  x: number[];
  ys: (number | null)[][];
  /** Many runs: every run's y in one typed array (run k at [k * x.length, (k + 1) * x.length), NaN = no point); `ys` is then empty. */
  flat?: Float32Array | Float64Array;
  extent: [number, number] | null;
  pointsInRange: number;
  decimated: boolean;
  starts?: Record<string, number>;
  /** The run ids of the answer, in order. */
  runs?: string[];
  /** The server's time on the answer (ms). */
  ms?: number;
}

/**
 * The series in the server's binary form (`format=bin`): a u32 header length, the JSON header,
 * padding to 8, the x grid (Float64) and each run's y (Float32 when decimated, else Float64; NaN =
 * no point).
 */
async function getSeries(url: string, flatFor: (runs: number) => boolean): Promise<SeriesAnswer> {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body?.message ?? res.statusText, body ?? {});
  }
  const buf = await res.arrayBuffer();
  const dv = new DataView(buf);
  const hl = dv.getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, hl)));
  const start = Math.ceil((4 + hl) / 8) * 8;
  const n = head.n as number;
  const x = Array.from(new Float64Array(buf, start, n));
  // Float32 for decimated buckets (a pixel's precision), Float64 for real points.
  const all = head.yBytes === 8 ? new Float64Array(buf, start + n * 8, head.runsSent * n) : new Float32Array(buf, start + n * 8, head.runsSent * n);
  if (flatFor(head.runsSent)) return { ...head, x, ys: [], flat: all };
  const ys: (number | null)[][] = [];
  for (let k = 0; k < head.runsSent; k++) {
    const y: (number | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = all[k * n + i]!;
      y[i] = v === v ? v : null;
    }
    ys.push(y);
  }
  return { ...head, x, ys };
}

/** EMA smoothing, debiased like TensorBoard's (the first points are not pulled toward 0). */
function ema(ys: (number | null)[], w: number): (number | null)[] {
  if (!w) return ys;
  let acc = 0;
  let n = 0;
  return ys.map((v) => {
    if (v === null) return null;
    n++;
    acc = acc * w + (1 - w) * v;
    return acc / (1 - Math.pow(w, n));
  });
}

function groupStats(ys: (number | null)[][], len: number) {
  const mean: (number | null)[] = [];
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  const sdLo: (number | null)[] = [];
  const sdHi: (number | null)[] = [];
  for (let i = 0; i < len; i++) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    let mn = Infinity;
    let mx = -Infinity;
    for (const y of ys) {
      const v = y[i];
      if (v === null || v === undefined) continue;
      n++;
      s += v;
      s2 += v * v;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (!n) {
      mean.push(null), lo.push(null), hi.push(null), sdLo.push(null), sdHi.push(null);
      continue;
    }
    const m = s / n;
    const sd = Math.sqrt(Math.max(0, s2 / n - m * m));
    mean.push(m), lo.push(mn), hi.push(mx), sdLo.push(m - sd), sdHi.push(m + sd);
  }
  return { mean, lo, hi, sdLo, sdHi };
}

/** Carries each run's last value forward inside the x grid so group statistics align. */
function fillForward(y: (number | null)[]): (number | null)[] {
  let last: number | null = null;
  let seen = false;
  const lastIdx = y.reduce<number>((acc, v, i) => (v !== null ? i : acc), -1);
  return y.map((v, i) => {
    if (v !== null) {
      last = v;
      seen = true;
      return v;
    }
    return seen && i <= lastIdx ? last : null;
  });
}

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // A many-run plot: what it was built for, and the data its draw hook strokes.
  const manyShape = useRef<string | null>(null);
  const manyData = useRef<{ n: number; runs: number; flat: Float32Array | Float64Array; xs: number[]; count: number; xmax: number; ymax: number; ymin: number } | null>(null);
  const data = useRef<SeriesAnswer | null>(null);
  const [info, setInfo] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const rangeRef = useRef<[number, number] | null>(p.range ?? null);
  const reqId = useRef(0);
  const runIds = p.runs.map((r) => r.id).join(',');
  const grouped = p.runs.some((r) => r.group !== undefined && r.group !== null);
  const key = JSON.stringify([p.source ? ['search', p.source.experiments, p.source.filter] : runIds, p.metric, p.x, p.logY, p.logX, p.smooth, p.bands, p.all, grouped ? p.runs.map((r) => r.group ?? '') : null]);

  const width = (): number => Math.max(200, (box.current?.clientWidth ?? 600) - 4);
  // Many runs, no group bands, no smoothing: the runs' lines are drawn in one pass on uPlot's
  // canvas (a path per colour) instead of as one uPlot series each.
  const many = (runs: number): boolean => runs > MANY && !(p.bands !== undefined && grouped) && !p.smooth;

  async function load(range: [number, number] | null): Promise<void> {
    const id = ++reqId.current;
    const w = width();
    try {
      const t0 = performance.now();
      const d = await getSeries(
        `/api/series${q({ ...(p.source ? { experiments: p.source.experiments, filter: p.source.filter, limit: 1000 } : { runs: runIds }), key: p.metric, x: p.x, width: Math.min(w, 4000), from: range?.[0] ?? null, to: range?.[1] ?? null, all: p.all ?? false, format: 'bin' })}`,
        many,
      );
      if (id !== reqId.current) return;
      data.current = d;
      setError(null);
      const t1 = performance.now();
      draw(range);
      const ms = performance.now() - t0;
      // Where a chart's time goes (the bench reads these): the whole query, the server's
      // handler, the fetch and parse of the answer, the drawing.
      box.current?.setAttribute('data-query-ms', ms.toFixed(1));
      box.current?.setAttribute('data-timing', `server ${Number(d.ms ?? 0).toFixed(1)} fetched ${(t1 - t0).toFixed(1)} drawn ${(performance.now() - t1).toFixed(1)}`);
      setInfo(`${d.pointsInRange.toLocaleString()} points in range${d.decimated ? `, decimated to ≤4 per pixel column` : ', all shown'}`);
    } catch (e) {
      if (id === reqId.current) setError((e as Error).message);
    }
  }

  function built(): { series: uPlot.Series[]; rows: (number | null)[][]; bands: uPlot.Band[] } {
    const d = data.current!;
    const w = p.smooth ?? 0;
    const groups = new Map<string, number[]>();
    p.runs.forEach((r, i) => {
      if (r.group !== undefined && r.group !== null) {
        const g = groups.get(r.group) ?? [];
        g.push(i);
        groups.set(r.group, g);
      }
    });
    const pos = (v: number | null): number | null => (p.logY && v !== null && v <= 0 ? null : v);
    const series: uPlot.Series[] = [{ label: p.x }];
    const rows: (number | null)[][] = [];
    const bands: uPlot.Band[] = [];
    if (groups.size && p.bands !== undefined) {
      let gi = 0;
      for (const [g, idx] of groups) {
        const ys = idx.map((i) => fillForward(ema(d.ys[i] ?? [], w)));
        const st = groupStats(ys, d.x.length);
        const c = color(gi++);
        const base = rows.length + 1;
        series.push({ label: `${g} (mean of ${idx.length})`, stroke: c, width: 2, spanGaps: true, points: { show: false } });
        rows.push(st.mean.map(pos));
        if (p.bands !== 'none') {
          const [up, dn] = p.bands === 'std' ? [st.sdHi, st.sdLo] : [st.hi, st.lo];
          series.push({ label: `${g} ${p.bands === 'std' ? '+1σ' : 'max'}`, stroke: c + '55', width: 1, spanGaps: true, points: { show: false } });
          rows.push(up.map(pos));
          series.push({ label: `${g} ${p.bands === 'std' ? '−1σ' : 'min'}`, stroke: c + '55', width: 1, spanGaps: true, points: { show: false } });
          rows.push(dn.map(pos));
          bands.push({ series: [base + 1, base + 2], fill: c + '33' });
        }
      }
    } else {
      // (a search's runs not known yet: the answer's ids)
      const rs: ChartRun[] = p.runs.length ? p.runs : (d.runs ?? []).map((id) => ({ id, name: id.slice(0, 8) }));
      rs.forEach((r, i) => {
        series.push({ label: r.name || r.id.slice(0, 8), stroke: color(i), width: 1.5, spanGaps: true, points: { show: false } });
        rows.push(ema(d.ys[i] ?? [], w).map(pos));
      });
    }
    return { series, rows, bands };
  }

  /** The scales and axes both drawings (uPlot's series, or many runs stroked here) share. */
  function frame(range: [number, number] | null, current = false): Pick<uPlot.Options, 'scales' | 'axes'> {
    // `current`: the plot outlives this range (it takes new data in place): the x range is the
    // chart's range at each draw, else the data's.
    const x: uPlot.Scale = current
      ? { range: (_u, lo, hi) => (rangeRef.current ? [rangeRef.current[0], rangeRef.current[1]] : [lo, hi]) }
      : range
        ? { auto: false, range: () => range }
        : {};
    return {
      scales: {
        x: { time: p.x === 'time', distr: p.logX ? 3 : 1, ...x },
        y: { distr: p.logY ? 3 : 1 },
      },
      axes: [{ label: p.x === 'time' ? 'wall time' : p.x === 'relative' ? 'relative time (s)' : p.x.startsWith('metric:') ? p.x.slice(7) : 'step' }, { label: p.metric }],
    };
  }

  /** A drag selection zooms to its x range (re-queried at the new range). */
  function zoomOnSelect(u: uPlot): void {
    if (u.select.width < 3) return;
    const a = u.posToVal(u.select.left, 'x');
    const b = u.posToVal(u.select.left + u.select.width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoom([a, b]);
  }

  function draw(range: [number, number] | null): void {
    const d = data.current;
    if (!d || !box.current) return;
    if (d.flat) return drawMany(d, d.flat, range);
    const { series, rows, bands } = built();
    const xs = p.logX ? d.x.map((v) => (v > 0 ? v : NaN)) : d.x;
    const aligned = [xs, ...rows] as uPlot.AlignedData;
    const host = box.current.querySelector<HTMLDivElement>('.plot')!;
    plot.current?.destroy();
    manyShape.current = null;
    const opts: uPlot.Options = {
      width: width(),
      height: p.height ?? 260,
      series,
      bands,
      legend: { show: p.runs.length <= 30, live: true },
      cursor: { sync: { key: 'mlruns' }, drag: { x: true, y: false, setScale: true } },
      ...frame(range),
      hooks: {
        setSelect: [zoomOnSelect],
        draw: [
          (u: uPlot) => {
            const el = box.current;
            if (!el) return;
            let n = 0;
            let xmax = -Infinity;
            let ymax = -Infinity;
            let ymin = Infinity;
            for (let s = 1; s < u.data.length; s++) {
              const ys = u.data[s]!;
              for (let i = 0; i < ys.length; i++) {
                const v = ys[i];
                if (v === null || v === undefined) continue;
                n++;
                if ((u.data[0][i] as number) > xmax) xmax = u.data[0][i] as number;
                if (v > ymax) ymax = v;
                if (v < ymin) ymin = v;
              }
            }
            el.setAttribute('data-points', String(n));
            el.setAttribute('data-xmax', String(xmax));
            el.setAttribute('data-ymax', String(ymax));
            el.setAttribute('data-ymin', String(ymin));
            el.setAttribute('data-drawn-at', String(performance.now()));
          },
        ],
      },
    };
    // uPlot with every run's x on one shared grid (the server's buckets): no per-run x arrays.
    plot.current = new uPlot(opts, aligned, host);
    plot.current.over.addEventListener('dblclick', () => zoom(null));
  }

  /** Sets the attributes the tests and the bench read: points drawn, x max, y extent, when. */
  function mark(n: number, xmax: number, ymax: number, ymin: number): void {
    const el = box.current;
    if (!el) return;
    el.setAttribute('data-points', String(n));
    el.setAttribute('data-xmax', String(xmax));
    el.setAttribute('data-ymax', String(ymax));
    el.setAttribute('data-ymin', String(ymin));
    el.setAttribute('data-drawn-at', String(performance.now()));
  }

  /**
   * Many runs: uPlot gets the x grid and, per x, the lowest and highest value over the runs (its
   * scales, axes, cursor and zoom work as usual; those two series are not stroked), and a draw
   * hook strokes every run's line, one path per palette colour.
   */
  function drawMany(d: SeriesAnswer, flat: Float32Array | Float64Array, range: [number, number] | null): void {
    const n = d.x.length;
    const runs = n ? Math.floor(flat.length / n) : 0;
    const loF = new Float64Array(n).fill(Infinity);
    const hiF = new Float64Array(n).fill(-Infinity);
    let count = 0;
    let xmax = -Infinity;
    let ymax = -Infinity;
    let ymin = Infinity;
    for (let k = 0; k < runs; k++) {
      const o = k * n;
      for (let i = 0; i < n; i++) {
        const v = flat[o + i]!;
        if (v !== v || (p.logY && v <= 0)) continue;
        count++;
        if (v < loF[i]!) loF[i] = v;
        if (v > hiF[i]!) hiF[i] = v;
      }
    }
    const lo: (number | null)[] = new Array(n);
    const hi: (number | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const l = loF[i]!;
      const h = hiF[i]!;
      lo[i] = l <= h ? l : null;
      hi[i] = l <= h ? h : null;
      if (l <= h) {
        if (d.x[i]! > xmax) xmax = d.x[i]!;
        if (h > ymax) ymax = h;
        if (l < ymin) ymin = l;
      }
    }
    const xs = p.logX ? d.x.map((v) => (v > 0 ? v : NaN)) : d.x;
    // The plot of the same chart (key, size) takes the new data in place: a zoom or a live
    // re-query redraws its canvas instead of building a new plot (DOM, layout) for it.
    const shape = JSON.stringify([key, width(), p.height ?? 260]);
    manyData.current = { n, runs, flat, xs, count, xmax, ymax, ymin };
    if (plot.current && manyShape.current === shape) {
      plot.current.setData([xs, lo, hi] as uPlot.AlignedData, true);
      return;
    }
    manyShape.current = shape;
    const host = box.current!.querySelector<HTMLDivElement>('.plot')!;
    plot.current?.destroy();
    const hidden = { stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } };
    const opts: uPlot.Options = {
      width: width(),
      height: p.height ?? 260,
      series: [{ label: p.x }, { label: `lowest of ${runs} runs`, ...hidden }, { label: `highest of ${runs} runs`, ...hidden }],
      legend: { show: false },
      cursor: { sync: { key: 'mlruns' }, drag: { x: true, y: false, setScale: true }, points: { show: false } },
      ...frame(range, true),
      hooks: {
        setSelect: [zoomOnSelect],
        draw: [
          (u: uPlot) => {
            const { n, runs, flat, xs, count, xmax, ymax, ymin } = manyData.current!;
            const ctx = u.ctx;
            const { left, top, width: bw, height: bh } = u.bbox;
            const px = new Float64Array(n);
            for (let i = 0; i < n; i++) px[i] = u.valToPos(xs[i]!, 'x', true);
            ctx.save();
            ctx.beginPath();
            ctx.rect(left, top, bw, bh);
            ctx.clip();
            ctx.lineWidth = Math.max(1, devicePixelRatio);
            ctx.lineJoin = 'round';
            // A linear y scale: the pixel of a value computed here (valToPos otherwise).
            const ys = u.scales['y']!;
            const y0 = ys.min ?? 0;
            const y1 = ys.max ?? 1;
            const linear = !p.logY && y1 > y0;
            const k = linear ? bh / (y1 - y0) : 0;
            const ypx = (v: number): number => (linear ? top + (y1 - v) * k : u.valToPos(v, 'y', true));
            for (let c = 0; c < PALETTE.length; c++) {
              const path = new Path2D();
              for (let k = c; k < runs; k += PALETTE.length) {
                const o = k * n;
                let open = false;
                for (let i = 0; i < n; i++) {
                  const v = flat[o + i]!;
                  if (v !== v || (p.logY && v <= 0)) continue;
                  const y = ypx(v);
                  if (open) path.lineTo(px[i]!, y);
                  else {
                    path.moveTo(px[i]!, y);
                    open = true;
                  }
                }
              }
              ctx.strokeStyle = PALETTE[c]!;
              ctx.stroke(path);
            }
            ctx.restore();
            mark(count, xmax, ymax, ymin);
          },
        ],
      },
    };
    plot.current = new uPlot(opts, [xs, lo, hi] as uPlot.AlignedData, host);
    plot.current.over.addEventListener('dblclick', () => zoom(null));
  }

  function zoom(r: [number, number] | null): void {
    rangeRef.current = r;
    if (p.onRange) {
      // The page puts the range in the URL and passes it back as `range`: the effect below
      // loads it then (loading here too would query the server twice per zoom).
      const same = (p.range?.[0] ?? null) === (r?.[0] ?? null) && (p.range?.[1] ?? null) === (r?.[1] ?? null);
      p.onRange(r);
      if (!same) return;
    }
    void load(r);
  }

  // A layout effect: the query leaves right after the render (a zoom or a new metric does not
  // wait for the next frame).
  useLayoutEffect(() => {
    rangeRef.current = p.range ?? null;
    void load(rangeRef.current);
    return () => {
      reqId.current++;
    };
  }, [key, p.range?.[0], p.range?.[1]]);

  useEffect(() => () => plot.current?.destroy(), []);

  // A search's runs became known after its series: their names go to the legend.
  useEffect(() => {
    if (p.source && data.current && !data.current.flat) draw(rangeRef.current);
  }, [runIds]);

  // Live: only the new points travel (SSE); they are appended in place.
  useEffect(() => {
    const ids = new Map(p.runs.map((r, i) => [r.id, i]));
    const charted = (id: string): boolean => ids.has(id) || (data.current?.runs?.includes(id) ?? false);
    let pending: number | null = null;
    const requery = (): void => {
      if (pending !== null) return;
      pending = window.setTimeout(() => {
        pending = null;
        void load(rangeRef.current);
      }, 300);
    };
    const off = subscribe((e) => {
      if (e.type === 'reset') return requery();
      if (e.type !== 'metrics_appended' || e.key !== p.metric || !charted(e.runId!)) return;
      const d = data.current;
      if (!d || d.flat || !ids.has(e.runId!) || e['rewritten'] || !(p.x === 'step' || p.x === 'time') || rangeRef.current) return requery();
      const i = ids.get(e.runId!)!;
      for (const pt of e.points ?? []) {
        const x = p.x === 'step' ? pt.step : pt.timestamp / 1000;
        const last = d.x[d.x.length - 1];
        if (last === undefined || x > last) {
          d.x.push(x);
          d.ys.forEach((y, k) => y.push(k === i ? (Number.isFinite(pt.value) ? pt.value : null) : null));
        } else if (x === last) {
          d.ys[i]![d.x.length - 1] = Number.isFinite(pt.value) ? pt.value : null;
        } else return requery();
        d.pointsInRange++;
      }
      if (plot.current) {
        const { rows } = built();
        plot.current.setData([p.logX ? d.x.map((v) => (v > 0 ? v : NaN)) : d.x, ...rows] as uPlot.AlignedData);
      }
    });
    return () => {
      off();
      if (pending !== null) clearTimeout(pending);
    };
  }, [key]);

  // Refit on resize.
  useEffect(() => {
    if (!box.current) return;
    let last = box.current.clientWidth;
    const ro = new ResizeObserver(() => {
      const w = box.current?.clientWidth ?? 0;
      if (Math.abs(w - last) > 8) {
        last = w;
        plot.current?.setSize({ width: width(), height: p.height ?? 260 });
      }
    });
    ro.observe(box.current);
    return () => ro.disconnect();
  }, []);

  return (
    <figure class="chart" ref={box} role="img" aria-label={`Chart of metric ${p.metric}`} data-metric={p.metric}>
      <figcaption>
        <strong>{p.metric}</strong> <span class="muted">{info}</span>
        {rangeRef.current ? (
          <button class="link" onClick={() => zoom(null)}>
            reset zoom
          </button>
        ) : null}
      </figcaption>
      {error ? <p class="error">{error}</p> : null}
      <div class="plot" />
    </figure>
  );
}
