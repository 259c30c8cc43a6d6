// Small canvas plots for the compare page: parallel coordinates, a param-vs-metric scatter and
// box plots (uPlot draws the time series; these are simple enough to draw by hand).
import { useEffect, useRef } from 'preact/hooks';
import { color } from './chart';

export interface Axis {
  label: string;
  values: (number | string | null)[]; // one per run
}

function setup(c: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  c.width = w * dpr;
  c.height = h * dpr;
  c.style.width = `${w}px`;
  c.style.height = `${h}px`;
  const g = c.getContext('2d')!;
  g.scale(dpr, dpr);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#222';
  return g;
}

/** Maps an axis's values (numbers linearly, strings as categories) to 0..1. */
function scaler(values: (number | string | null)[]): { f: (v: number | string | null) => number | null; ticks: [number, string][] } {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const strs = values.filter((v): v is string => typeof v === 'string');
  if (strs.length) {
    const cats = [...new Set(values.filter((v) => v !== null).map(String))].sort();
    const f = (v: number | string | null): number | null => (v === null ? null : cats.length === 1 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1));
    return { f, ticks: cats.map((c) => [f(c)!, c]) };
  }
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  const f = (v: number | string | null): number | null => (typeof v !== 'number' || !Number.isFinite(v) ? null : hi === lo ? 0.5 : (v - lo) / (hi - lo));
  return { f, ticks: nums.length ? [[0, fmt(lo)], [1, fmt(hi)]] : [] };
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

function useCanvas(draw: (c: HTMLCanvasElement, w: number) => void, deps: unknown[]) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (c) draw(c, Math.max(300, c.parentElement?.clientWidth ?? 600));
  }, deps);
  return ref;
}

export function ParallelCoords({ axes, names }: { axes: Axis[]; names: string[] }) {
  const ref = useCanvas(
    (c, w) => {
      const h = 300;
      const g = setup(c, w, h);
      const pad = 40;
      const n = axes.length;
      if (n < 2) {
        g.fillText('Pick at least two params or metrics that the runs have.', 10, 20);
        return;
      }
      const xs = axes.map((_, i) => pad + ((w - 2 * pad) * i) / (n - 1));
      const sc = axes.map((a) => scaler(a.values));
      const y = (t: number): number => h - 30 - t * (h - 60);
      names.forEach((_, r) => {
        g.strokeStyle = color(r);
        g.lineWidth = 1.5;
        g.beginPath();
        let started = false;
        axes.forEach((a, i) => {
          const t = sc[i]!.f(a.values[r] ?? null);
          if (t === null) {
            started = false;
            return;
          }
          if (!started) g.moveTo(xs[i]!, y(t));
          else g.lineTo(xs[i]!, y(t));
          started = true;
        });
        g.stroke();
      });
      g.strokeStyle = '#444';
      g.lineWidth = 1;
      axes.forEach((a, i) => {
        g.beginPath();
        g.moveTo(xs[i]!, y(0));
        g.lineTo(xs[i]!, y(1));
        g.stroke();
        g.textAlign = 'center';
        g.fillText(a.label, xs[i]!, 14);
        for (const [t, label] of sc[i]!.ticks.slice(0, 12)) g.fillText(label, xs[i]!, y(t) + (t === 0 ? 14 : t === 1 ? -4 : 0));
      });
    },
    [JSON.stringify(axes), names.join()],
  );
  return <canvas ref={ref} role="img" aria-label={`Parallel coordinates of ${axes.map((a) => a.label).join(', ')}`} />;
}

export function Scatter({ x, y, names }: { x: Axis; y: Axis; names: string[] }) {
  const ref = useCanvas(
    (c, w) => {
      const h = 300;
      const g = setup(c, w, h);
      const sx = scaler(x.values);
      const sy = scaler(y.values);
      const px = (t: number): number => 50 + t * (w - 80);
      const py = (t: number): number => h - 40 - t * (h - 70);
      g.strokeStyle = '#444';
      g.strokeRect(50, 30, w - 80, h - 70);
      g.textAlign = 'center';
      g.fillText(x.label, w / 2, h - 6);
      for (const [t, l] of sx.ticks.slice(0, 12)) g.fillText(l, px(t), h - 24);
      g.textAlign = 'right';
      for (const [t, l] of sy.ticks.slice(0, 12)) g.fillText(l, 46, py(t) + 4);
      g.textAlign = 'left';
      g.fillText(y.label, 4, 16);
      names.forEach((_, i) => {
        const a = sx.f(x.values[i] ?? null);
        const b = sy.f(y.values[i] ?? null);
        if (a === null || b === null) return;
        g.fillStyle = color(i);
        g.beginPath();
        g.arc(px(a), py(b), 5, 0, Math.PI * 2);
        g.fill();
      });
    },
    [JSON.stringify([x, y]), names.join()],
  );
  return <canvas ref={ref} role="img" aria-label={`Scatter of ${y.label} against ${x.label}`} />;
}

function quantile(sorted: number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

/** One box per group: quartiles, median, whiskers at min/max. */
export function BoxPlot({ label, groups }: { label: string; groups: { name: string; values: number[] }[] }) {
  const ref = useCanvas(
    (c, w) => {
      const h = 260;
      const g = setup(c, w, h);
      const all = groups.flatMap((x) => x.values).filter(Number.isFinite);
      if (!all.length) {
        g.fillText(`No values of ${label}.`, 10, 20);
        return;
      }
      const lo = Math.min(...all);
      const hi = Math.max(...all);
      const py = (v: number): number => h - 40 - (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * (h - 70);
      g.fillText(label, 4, 14);
      g.textAlign = 'right';
      g.fillText(fmt(hi), 46, py(hi) + 4);
      g.fillText(fmt(lo), 46, py(lo) + 4);
      const bw = (w - 70) / Math.max(1, groups.length);
      groups.forEach((grp, i) => {
        const s = grp.values.filter(Number.isFinite).sort((a, b) => a - b);
        const cx = 60 + bw * (i + 0.5);
        g.textAlign = 'center';
        g.fillStyle = '#222';
        g.fillText(grp.name.slice(0, 24), cx, h - 20);
        if (!s.length) return;
        const [q1, med, q3] = [quantile(s, 0.25), quantile(s, 0.5), quantile(s, 0.75)];
        g.strokeStyle = color(i);
        g.fillStyle = color(i) + '44';
        const half = Math.min(40, bw / 3);
        g.fillRect(cx - half, py(q3), 2 * half, py(q1) - py(q3));
        g.strokeRect(cx - half, py(q3), 2 * half, py(q1) - py(q3));
        g.beginPath();
        g.moveTo(cx - half, py(med));
        g.lineTo(cx + half, py(med));
        g.moveTo(cx, py(q3));
        g.lineTo(cx, py(s[s.length - 1]!));
        g.moveTo(cx, py(q1));
        g.lineTo(cx, py(s[0]!));
        g.stroke();
      });
    },
    [label, JSON.stringify(groups)],
  );
  return <canvas ref={ref} role="img" aria-label={`Box plot of ${label}`} />;
}
