import { describe, expect, it } from 'vitest';
import { EventFeed } from '../../src/watch/event-feed.js';

describe('EventFeed (the watchers\' async iterator)', () => {
  it('hands events to a waiting reader and keeps the rest in order', async () => {
    const feed = new EventFeed<number>();
    const it = feed.iterator(async () => undefined);
    const waiting = it.next();
    feed.push(1);
    expect(await waiting).toEqual({ value: 1, done: false });
    feed.push(2);
    feed.push(3);
    expect(feed.size).toBe(2);
    expect(await it.next()).toEqual({ value: 2, done: false });
    expect(await it.next()).toEqual({ value: 3, done: false });
    expect(feed.size).toBe(0);
  });

  it('keeps only the newest `limit` unread events, across compactions', async () => {
    const feed = new EventFeed<number>(3000);
    for (let i = 0; i < 10_000; i++) feed.push(i);
    expect(feed.size).toBe(3000);
    const it = feed.iterator(async () => undefined);
    const got: number[] = [];
    for (let i = 0; i < 2500; i++) got.push((await it.next()).value as number);
    for (let i = 10_000; i < 12_000; i++) feed.push(i);
    while (feed.size > 0) got.push((await it.next()).value as number);
    const want = [...Array.from({ length: 3000 }, (_, i) => 7000 + i), ...Array.from({ length: 2000 }, (_, i) => 10_000 + i)];
    expect(got).toEqual(want);
  });

  it('end() finishes waiting readers; kept events are still read first; pushes after end are ignored', async () => {
    const feed = new EventFeed<string>();
    const a = feed.iterator(async () => undefined);
    const waiting = a.next();
    feed.end();
    expect(await waiting).toEqual({ value: undefined, done: true });
    const kept = new EventFeed<string>();
    kept.push('x');
    kept.end();
    kept.push('y');
    const b = kept.iterator(async () => undefined);
    expect(await b.next()).toEqual({ value: 'x', done: false });
    expect(await b.next()).toEqual({ value: undefined, done: true });
  });

  it('return() (a for-await loop left early) runs the owner\'s hook', async () => {
    const feed = new EventFeed<number>();
    let closed = 0;
    feed.push(1);
    feed.push(2);
    const iterable = { [Symbol.asyncIterator]: () => feed.iterator(async () => void closed++) };
    for await (const e of iterable) if (e === 1) break;
    expect(closed).toBe(1);
  });
});
