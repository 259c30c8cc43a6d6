import { MlflowError } from '../errors.js';
import type { ReadWarning, WarningCode } from '../errors.js';

/**
 * Where a store's read problems go: deduplicated per (kind, path), kept (the last 1000), passed
 * to `onWarning` or, without one, emitted as a Node warning (type `MlflowWarning`) once per kind
 * and process (the first of a kind, saying that the rest are on `client.warnings`), so a
 * program reading a damaged store is not flooded. In strict mode the first problem throws instead.
 *
 * @example
 * ```ts
 * const sink = new WarningSink({ strict: false, onWarning: (w) => console.log(w.path) });
 * sink.warn('EMPTY_META', '/x/meta.yaml', 'empty meta.yaml');
 * ```
 */
/** The kinds already emitted as a process warning (once per kind and process). */
const emittedKinds = new Set<WarningCode>();

export class WarningSink {
  private readonly seen = new Set<string>();
  private readonly recent: ReadWarning[] = [];

  constructor(private readonly options: { strict?: boolean; onWarning?: ((w: ReadWarning) => void) | undefined }) {}

  get warnings(): readonly ReadWarning[] {
    return this.recent;
  }

  warn(code: WarningCode, path: string, message: string): void {
    if (this.options.strict) throw new MlflowError('MALFORMED_DATA', message, { path });
    const key = `${code}\0${path}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const w: ReadWarning = { code, path, message };
    this.recent.push(w);
    if (this.recent.length > 1000) this.recent.shift();
    if (this.options.onWarning) this.options.onWarning(w);
    else if (!emittedKinds.has(code)) {
      emittedKinds.add(code);
      process.emitWarning(`${w.message} (further problems of this kind are only kept on client.warnings)`, {
        type: 'MlflowWarning',
        code: `MLRUNS_${w.code}`,
      });
    }
  }
}
