/**
 * `FileStore.readYaml` split from its read: the size limit, the fast flat-mapping reader and the
 * YAML 1.1 fallback, applied to text already read (the catalog reads meta.yaml through one file
 * descriptor with its stat). Same results and errors as `readYaml`.
 *
 * @example
 * ```ts
 * import { metaFromText } from './meta-read.js';
 * metaFromText('/r/1/abc/meta.yaml', "run_id: abc\n"); // { run_id: 'abc' }
 * ```
 */
import { MlflowError } from '../../errors.js';
import { parseYaml } from '../../format/yaml.js';
import { parseFlatMeta } from './fast-meta.js';

/** A meta.yaml larger than this is treated as damaged (MLflow's are under a few KB). */
export const MAX_META_BYTES = 16 * 1024 * 1024;

/**
 * The error `readYaml` throws for a meta.yaml over {@link MAX_META_BYTES}.
 *
 * @example
 * ```ts
 * throw metaTooLarge('/r/0/meta.yaml', 20_000_000);
 * ```
 */
export function metaTooLarge(p: string, size: number): MlflowError {
  return new MlflowError('MALFORMED_DATA', `'${p}' is ${size} bytes, too large for a meta.yaml (limit ${MAX_META_BYTES})`, { path: p });
}

/**
 * Parses the text of a meta.yaml as `readYaml` does: `null` when empty, MALFORMED_DATA (naming
 * `p`) when unparsable.
 *
 * @example
 * ```ts
 * metaFromText('/r/0/meta.yaml', ''); // null
 * ```
 */
export function metaFromText(p: string, text: string): unknown {
  const fast = parseFlatMeta(text);
  if (fast) return fast;
  try {
    return parseYaml(text);
  } catch (err) {
    throw new MlflowError('MALFORMED_DATA', `Cannot parse '${p}': ${(err as Error).message}`, { path: p, cause: err });
  }
}
