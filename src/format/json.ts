import { pythonJsonDumps } from './float.js';

/** Options of {@link pyJson}, named after Python's `json.dumps` arguments. */
export interface PyJsonOptions {
  /** `indent=`: spaces per level; undefined writes everything on one line. */
  indent?: number;
  /** `sort_keys=` (default false: insertion order, like a Python dict). */
  sortKeys?: boolean;
}

/**
 * Python's `json.dumps(value, indent=…, sort_keys=…)` with its defaults: `ensure_ascii=True`,
 * separators `(', ', ': ')` on one line and `(',', ': ')` with an indent, ints for integral
 * numbers, float repr otherwise, `NaN`/`Infinity` for specials. What MLflow writes for the
 * `mlflow.log-model.history` tag, `log_dict` JSON files and input examples.
 *
 * @example
 * ```ts
 * pyJson({ b: [1, 0.5], a: 'é' });            // '{"b": [1, 0.5], "a": "\\u00e9"}'
 * pyJson({ a: [] }, { indent: 2 });           // '{\n  "a": []\n}'
 * ```
 */
export function pyJson(value: unknown, options: PyJsonOptions = {}): string {
  const { indent, sortKeys = false } = options;
  const item = indent === undefined ? ', ' : ',';
  const enc = (v: unknown, level: number): string => {
    const nl = indent === undefined ? '' : '\n' + ' '.repeat(indent * (level + 1));
    const close = indent === undefined ? '' : '\n' + ' '.repeat(indent * level);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[' + v.map((x) => nl + enc(x, level + 1)).join(item) + close + ']';
    }
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      let entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (entries.length === 0) return '{}';
      return '{' + entries.map(([k, x]) => nl + pythonJsonDumps(k) + ': ' + enc(x, level + 1)).join(item) + close + '}';
    }
    return pythonJsonDumps(v);
  };
  return enc(value, 0);
}
