/**
 * The change events of a watcher as an async iterator: what the folder watcher and the database
 * watcher share. Events are handed to a waiting `next()` at once, or kept (the newest
 * {@link EventFeed.limit} when nobody reads them) until one asks; `end()` finishes every waiting
 * and later `next()`.
 *
 * @example
 * ```ts
 * const feed = new EventFeed<number>();
 * feed.push(1);
 * const it = feed.iterator(async () => undefined);
 * await it.next(); // { value: 1, done: false }
 * feed.end();
 * await it.next(); // { value: undefined, done: true }
 * ```
 */
export class EventFeed<T> {
  private kept: T[] = [];
  /** Index of the oldest kept event in `kept` (consumed ones before it are dropped in bulk). */
  private head = 0;
  private readonly waiters: ((r: IteratorResult<T>) => void)[] = [];
  private ended = false;

  /** @param limit how many unread events are kept at most (the oldest are dropped first). */
  constructor(readonly limit = 100_000) {}

  /** Unread events kept. */
  get size(): number {
    return this.kept.length - this.head;
  }

  /** Hands `e` to a waiting reader, or keeps it for the next `next()`. */
  push(e: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) {
      w({ value: e, done: false });
      return;
    }
    this.kept.push(e);
    if (this.size > this.limit) this.head++;
    this.compact();
  }

  /** Finishes the feed: waiting readers get `done`, later `next()` calls drain what is kept, then end. */
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  /**
   * An async iterator over the feed; `onReturn` runs when a `for await` loop is left early (a
   * watcher closes itself there, or does nothing).
   */
  iterator(onReturn: () => Promise<void>): AsyncIterator<T> {
    return {
      next: () => {
        if (this.size > 0) {
          const e = this.kept[this.head++] as T;
          this.compact();
          return Promise.resolve({ value: e, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: async () => {
        await onReturn();
        return { value: undefined, done: true };
      },
    };
  }

  /** Drops consumed slots once they are at least half the array (amortized O(1) per event). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 >= this.kept.length) {
      this.kept = this.kept.slice(this.head);
      this.head = 0;
    }
  }
}
