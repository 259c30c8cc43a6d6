/**
 * Output helpers of the command line: colours (only on a TTY, never with NO_COLOR), aligned
 * tables, CSV, Markdown, JSON, and the formatting of values (metrics as Python prints floats,
 * times, durations, sizes).
 */
import { formatPythonFloat } from '../format/float.js';

/** Colour decision: `NO_COLOR` (non-empty) and `--no-color` always win; then `FORCE_COLOR`; then a TTY. */
export function colorEnabled(stream: { isTTY?: boolean }, flag?: boolean): boolean {
  const env = process.env;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (flag === false) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  italic: [3, 23],
  underline: [4, 24],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

export type StyleName = keyof typeof CODES;

/** Applies ANSI styles when enabled; identity otherwise. */
export class Style {
  constructor(readonly enabled: boolean) {}

  apply(names: StyleName | StyleName[], text: string): string {
    if (!this.enabled || text === '') return text;
    let out = text;
    for (const n of Array.isArray(names) ? names : [names]) {
      const [open, close] = CODES[n];
      out = `\u001b[${open}m${out}\u001b[${close}m`;
    }
    return out;
  }
  bold = (s: string): string => this.apply('bold', s);
  dim = (s: string): string => this.apply('dim', s);
  red = (s: string): string => this.apply('red', s);
  green = (s: string): string => this.apply('green', s);
  yellow = (s: string): string => this.apply('yellow', s);
  cyan = (s: string): string => this.apply('cyan', s);
  gray = (s: string): string => this.apply('gray', s);
  /** A run status in its colour. */
  status = (s: string): string =>
    s === 'FINISHED' ? this.green(s) : s === 'FAILED' ? this.red(s) : s === 'KILLED' ? this.yellow(s) : s === 'RUNNING' ? this.cyan(s) : s;
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/** Terminal width of a string: code points, ANSI stripped, East Asian wide characters as 2. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of stripAnsi(s)) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200b) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** One line of text for a table cell: control characters made visible, long values cut with '…'. */
export function cell(value: string, max = 80): string {
  const flat = value.replace(/\r\n|\n|\r/g, '⏎').replace(/[\u0000-\u001f\u007f]/g, '�');
  const chars = Array.from(flat);
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : flat;
}

export type Align = 'left' | 'right';

export interface TableOptions {
  align?: Align[];
  style?: Style;
  /** Indent of every line. */
  indent?: string;
  /** Print the header (default true). */
  header?: boolean;
}

/** An aligned text table; cells may hold ANSI styles (widths ignore them). */
export function renderTable(header: string[], rows: string[][], options: TableOptions = {}): string {
  const style = options.style ?? new Style(false);
  const indent = options.indent ?? '';
  const showHeader = options.header ?? true;
  const n = Math.max(header.length, ...rows.map((r) => r.length));
  const widths: number[] = new Array<number>(n).fill(0);
  const all = showHeader ? [header, ...rows] : rows;
  for (const r of all) {
    for (let i = 0; i < n; i++) widths[i] = Math.max(widths[i] ?? 0, displayWidth(r[i] ?? ''));
  }
  const line = (r: string[]): string => {
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = r[i] ?? '';
      const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(v));
      const right = options.align?.[i] === 'right';
      parts.push(i === n - 1 && !right ? v : right ? pad + v : v + pad);
    }
    return (indent + parts.join('  ')).replace(/\s+$/, '');
  };
  const out: string[] = [];
  if (showHeader) out.push(style.bold(line(header)));
  for (const r of rows) out.push(line(r));
  return out.join('\n') + '\n';
}

/** RFC 4180 CSV (CRLF-free: '\n' line ends), quoting fields with commas, quotes or line breaks. */
export function renderCsv(header: string[], rows: string[][]): string {
  const q = (v: string): string => (/[",\n\r]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [header, ...rows].map((r) => r.map(q).join(',')).join('\n') + '\n';
}

/** A GitHub-flavoured Markdown table. */
export function renderMarkdown(header: string[], rows: string[][], align?: Align[]): string {
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r\n|\n|\r/g, '<br>');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (align?.[i] === 'right' ? ' ---: ' : ' --- ')).join('|')}|`];
  for (const r of rows) lines.push(`| ${header.map((_, i) => esc(r[i] ?? '')).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** JSON with 2-space indent; NaN and ±Infinity (metric values) become the strings "NaN", "Infinity", "-Infinity". */
export function toJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_k, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
        if (typeof v === 'bigint') return v.toString();
        return v;
      },
      2,
    ) + '\n'
  );
}

/** A metric value as Python prints a float (`0.5`, `1.0`, `1e-05`, `nan`, `inf`). */
export function fmtNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  return formatPythonFloat(v);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A millisecond timestamp as local `YYYY-MM-DD HH:MM:SS`; '' for null. */
export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A duration in ms as `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(Math.floor(s % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad2(h % 24)}h`;
}

/** A size in bytes as `512 B`, `1.2 KB`, `3.4 MB`. */
export function fmtSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Writes to stdout, ignoring EPIPE (`mlruns runs | head`). */
export function print(text: string): void {
  process.stdout.write(text);
}
