/**
 * Line charts as standalone SVG (one or several series overlaid, axes with round ticks, a
 * legend), for `mlruns metrics --svg/--png` and `mlruns report`; PNG through resvg. Self-contained:
 * no fonts or scripts are fetched, so a chart opens offline.
 *
 * @example
 * ```ts
 * const svg = lineChartSvg([{ label: 'run a', points: [{ x: 0, y: 1 }, { x: 1, y: 0.5 }] }], { title: 'loss', xLabel: 'step' });
 * fs.writeFileSync('loss.svg', svg);
 * fs.writeFileSync('loss.png', await svgToPng(svg));
 * ```
 */

export interface SvgSeries {
  label: string;
  points: ReadonlyArray<{ x: number; y: number }>;
}

export interface SvgChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels (default 720 × 360). */
  width?: number;
  height?: number;
}

/** Colours of the series (Tableau 10), repeated when there are more series. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Round tick values covering [min, max] (about `count` of them). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Short text of a tick value. */
export function tickText(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1).replace(/\.0e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** The chart as an SVG document. Non-finite values are left out (a NaN breaks the line). */
export function lineChartSvg(series: readonly SvgSeries[], options: SvgChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 360;
  // Legend columns of about 230 px; labels cut to fit one.
  const legendCols = Math.max(1, Math.floor((width - 80) / 230));
  const legendRows = series.length > 1 ? Math.ceil(series.length / legendCols) : 0;
  const maxLabel = Math.max(8, Math.floor(((width - 80) / legendCols - 24) / 6.6));
  const top = options.title ? 34 : 14;
  const left = 64;
  const right = 16;
  const bottom = 48 + legendRows * 18;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  let [x0, x1] = finite.length ? [Math.min(...finite.map((p) => p.x)), Math.max(...finite.map((p) => p.x))] : [0, 1];
  let [y0, y1] = finite.length ? [Math.min(...finite.map((p) => p.y)), Math.max(...finite.map((p) => p.y))] : [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number): number => left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number): number => top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const f = (n: number): string => n.toFixed(1);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title) out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold" fill="#222">${escapeXml(options.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    const y = f(sy(t));
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#555">${escapeXml(tickText(t))}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    const x = f(sx(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#888"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 16}" text-anchor="middle" fill="#555">${escapeXml(tickText(t))}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  if (options.xLabel) out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle" fill="#333">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(options.yLabel)}</text>`);
  }
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    // Contiguous finite stretches become one polyline each.
    let seg: string[] = [];
    const flush = (): void => {
      if (seg.length === 1) out.push(`<circle cx="${(seg[0] as string).split(',')[0]}" cy="${(seg[0] as string).split(',')[1]}" r="2.5" fill="${colour}"/>`);
      else if (seg.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.6" points="${seg.join(' ')}"/>`);
      seg = [];
    };
    for (const p of s.points) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) seg.push(`${f(sx(p.x))},${f(sy(p.y))}`);
      else flush();
    }
    flush();
    if (series.length > 1) {
      const col = i % legendCols;
      const row = Math.floor(i / legendCols);
      const lx = left + col * (plotW / legendCols);
      const ly = top + plotH + 54 + row * 18;
      out.push(`<rect x="${f(lx)}" y="${ly - 8}" width="12" height="4" fill="${colour}"/>`);
      const label = s.label.length > maxLabel ? `${s.label.slice(0, maxLabel - 1)}…` : s.label;
      out.push(`<text x="${f(lx + 16)}" y="${ly - 3}" fill="#333">${escapeXml(label)}</text>`);
    }
  });
  out.push('</svg>\n');
  return out.join('\n');
}

/** Renders an SVG document to PNG bytes with resvg (system fonts for the text). */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return r.render().asPng();
}
