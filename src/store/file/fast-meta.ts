/**
 * A fast path for the `meta.yaml` files MLflow writes: flat mappings of plain or single-quoted
 * scalars, ints, null and `[]`/`{}`. Anything else (nested mappings, lists, folded lines, values
 * YAML 1.1 would read as another type) returns undefined, and the caller uses the full YAML 1.1
 * reader. A full scan reads one meta.yaml per run, so this is on the hot path.
 */

const KEY_RE = /^[a-z_]+$/;
const INT_RE = /^-?(?:0|[1-9]\d{0,14})$/;
const HEX_ID_RE = /^[0-9a-f]*[a-f][0-9a-f]*$/;
const PLAIN_STR_RE = /^[A-Za-z_/][A-Za-z0-9_./@%+:~ -]*$/;
const YAML11_WORDS = new Set([
  'yes', 'Yes', 'YES', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  'on', 'On', 'ON', 'off', 'Off', 'OFF', 'null', 'Null', 'NULL',
]);

function scalar(raw: string): { v: unknown } | undefined {
  if (raw === '' || raw === '~' || raw === 'null' || raw === 'Null' || raw === 'NULL') return { v: null };
  if (raw === '[]') return { v: [] };
  if (raw === '{}') return { v: {} };
  if (raw.startsWith("'")) {
    if (raw.length < 2 || !raw.endsWith("'")) return undefined;
    const inner = raw.slice(1, -1);
    // Every quote inside must be doubled.
    if (/'(?!')/.test(inner.replace(/''/g, ''))) return undefined;
    return { v: inner.replace(/''/g, "'") };
  }
  if (INT_RE.test(raw)) return { v: Number(raw) };
  // Lowercase hex with a letter (run ids, digests): a string in YAML 1.1 unless it is 0b binary.
  if (HEX_ID_RE.test(raw) && !/^0b[01]+$/.test(raw)) return { v: raw };
  if (!PLAIN_STR_RE.test(raw) || YAML11_WORDS.has(raw)) return undefined;
  if (raw.endsWith(' ') || raw.endsWith(':') || raw.includes(': ') || raw.includes(' #')) return undefined;
  return { v: raw };
}

/** The mapping of a flat MLflow meta.yaml, or undefined when the full reader is needed. */
export function parseFlatMeta(text: string): Record<string, unknown> | undefined {
  if (text.length === 0 || text.charCodeAt(0) === 0xfeff) return undefined;
  const out: Record<string, unknown> = {};
  let i = 0;
  const n = text.length;
  let any = false;
  while (i < n) {
    let end = text.indexOf('\n', i);
    if (end === -1) end = n;
    let line = text.slice(i, end);
    i = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const colon = line.indexOf(': ');
    let key: string;
    let raw: string;
    if (colon === -1) {
      if (!line.endsWith(':')) return undefined;
      key = line.slice(0, -1);
      raw = '';
      // A key with nothing after it followed by an indented block is a nested value.
      if (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 45)) return undefined;
    } else {
      key = line.slice(0, colon);
      raw = line.slice(colon + 2);
    }
    if (!KEY_RE.test(key) || key in out) return undefined;
    const s = scalar(raw);
    if (!s) return undefined;
    out[key] = s.v;
    any = true;
  }
  return any ? out : undefined;
}
