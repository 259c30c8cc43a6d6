/**
 * A terminal line chart drawn with Braille dots (2×4 dots per character), with a y axis
 * (max, middle, min) and the x range under it.
 *
 * @example
 * ```ts
 * process.stdout.write(renderLineChart([{ x: 0, y: 1 }, { x: 1, y: 0.5 }], { width: 60, height: 10 }));
 * ```
 */
import type { Style } from './output.js';

export interface Point {
  x: number;
  y: number;
}

export interface ChartOptions {
  /** Total width in characters, axis labels included (default 80). */
  width?: number;
  /** Plot height in rows (default 12). */
  height?: number;
  style?: Style;
  /** Name of the x axis, printed under it. */
  xLabel?: string;
}

const DOTS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

/** Short number text for axis labels. */
export function axisNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e');
  const digits = a >= 100 ? 1 : a >= 1 ? 3 : 4;
  return String(Number(v.toFixed(digits)));
}

export function renderLineChart(points: readonly Point[], options: ChartOptions = {}): string {
  return renderLinesChart([points], options);
}

/** Several series drawn over one another on the same axes (each its own line). */
export function renderLinesChart(series: ReadonlyArray<readonly Point[]>, options: ChartOptions = {}): string {
  const finiteSeries = series.map((points) => points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  const pts = finiteSeries.flat();
  if (pts.length === 0) return '  (no finite values to plot)\n';
  const height = Math.max(3, options.height ?? 12);
  let ymin = Math.min(...pts.map((p) => p.y));
  let ymax = Math.max(...pts.map((p) => p.y));
  let xmin = Math.min(...pts.map((p) => p.x));
  let xmax = Math.max(...pts.map((p) => p.x));
  if (ymin === ymax) {
    const d = Math.abs(ymin) * 0.1 || 1;
    ymin -= d;
    ymax += d;
  }
  if (xmin === xmax) {
    xmin -= 1;
    xmax += 1;
  }
  const labels = [axisNumber(ymax), axisNumber((ymin + ymax) / 2), axisNumber(ymin)];
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const width = Math.max(10, (options.width ?? 80) - labelWidth - 3);
  const W = width * 2;
  const H = height * 4;
  const grid: number[][] = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  const set = (px: number, py: number): void => {
    if (px < 0 || py < 0 || px >= W || py >= H) return;
    const row = grid[Math.floor(py / 4)] as number[];
    const col = Math.floor(px / 2);
    row[col] = (row[col] ?? 0) | ((DOTS[py % 4] as number[])[px % 2] as number);
  };
  const toPx = (p: Point): [number, number] => [
    Math.round(((p.x - xmin) / (xmax - xmin)) * (W - 1)),
    Math.round((1 - (p.y - ymin) / (ymax - ymin)) * (H - 1)),
  ];
  for (const one of finiteSeries) {
    const sorted = [...one].sort((a, b) => a.x - b.x);
    let prev: [number, number] | undefined;
    for (const p of sorted) {
      const cur = toPx(p);
      if (prev) {
        // Bresenham between consecutive points.
        let [x0, y0] = prev;
        const [x1, y1] = cur;
        const dx = Math.abs(x1 - x0);
        const dy = -Math.abs(y1 - y0);
        const sx = x0 < x1 ? 1 : -1;
        const sy = y0 < y1 ? 1 : -1;
        let err = dx + dy;
        for (;;) {
          set(x0, y0);
          if (x0 === x1 && y0 === y1) break;
          const e2 = 2 * err;
          if (e2 >= dy) {
            err += dy;
            x0 += sx;
          }
          if (e2 <= dx) {
            err += dx;
            y0 += sy;
          }
        }
      } else {
        set(cur[0], cur[1]);
      }
      prev = cur;
    }
  }
  const style = options.style;
  const color = (s: string): string => (style ? style.cyan(s) : s);
  const dim = (s: string): string => (style ? style.dim(s) : s);
  const lines: string[] = [];
  const mid = Math.floor((height - 1) / 2);
  grid.forEach((row, r) => {
    const label = r === 0 ? labels[0] : r === height - 1 ? labels[2] : r === mid ? labels[1] : '';
    const text = row.map((b) => (b === 0 ? ' ' : String.fromCodePoint(0x2800 + b))).join('');
    lines.push(`${dim((label ?? '').padStart(labelWidth))} ${dim('┤')}${color(text)}`.replace(/\s+$/, ''));
  });
  lines.push(`${' '.repeat(labelWidth)} ${dim('└' + '─'.repeat(width))}`);
  const left = axisNumber(xmin);
  const right = axisNumber(xmax);
  const name = options.xLabel ?? '';
  const gap = Math.max(1, width - left.length - right.length);
  const middle = name.length + 2 <= gap ? name.padStart(Math.floor((gap + name.length) / 2)).padEnd(gap) : ' '.repeat(gap);
  lines.push(`${' '.repeat(labelWidth + 2)}${dim(left + middle + right)}`);
  return lines.join('\n') + '\n';
}
