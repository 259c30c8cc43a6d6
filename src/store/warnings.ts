import { MlflowError } from '../errors.js';
import type { ReadWarning, WarningCode } from '../errors.js';

/**
 * Where a store's read problems go: deduplicated per (kind, path), kept (the last 1000), passed
 * to `onWarning` or, without one, emitted once as a Node warning (type `MlflowWarning`), as
 * Python MLflow logs them. In strict mode the first problem throws instead.
 *
 * @example
 * ```ts
 * const sink = new WarningSink({ strict: false, onWarning: (w) => console.log(w.path) });
 * sink.warn('EMPTY_META', '/x/meta.yaml', 'empty meta.yaml');
 * ```
 */
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
    else process.emitWarning(w.message, { type: 'MlflowWarning', code: `MLRUNS_${w.code}` });
  }
}
