/**
 * A progress bar on stderr, drawn only when stderr is a terminal (never in pipes or logs).
 *
 * @example
 * ```ts
 * const p = new Progress(files.length, 'copying');
 * for (const f of files) { copy(f); p.tick(1, f); }
 * p.done();
 * ```
 */
export class Progress {
  private current = 0;
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    stream: { isTTY?: boolean } = process.stderr,
  ) {
    this.enabled = stream.isTTY === true && total > 1 && process.env['TERM'] !== 'dumb';
  }

  tick(n = 1, detail = ''): void {
    this.current += n;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 50 && this.current < this.total) return;
    this.lastDraw = now;
    const cols = process.stderr.columns || 80;
    const width = Math.max(10, Math.min(30, cols - 40));
    const frac = this.total > 0 ? Math.min(1, this.current / this.total) : 1;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const count = `${this.current}/${this.total}`;
    const room = Math.max(0, cols - width - count.length - this.label.length - 6);
    const d = detail.length > room ? '…' + detail.slice(detail.length - room + 1) : detail;
    process.stderr.write(`\r\u001b[2K${this.label} ${bar} ${count} ${d}`);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\r\u001b[2K');
  }
}
