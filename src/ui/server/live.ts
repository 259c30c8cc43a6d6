/**
 * Server-sent events: the watcher's change events, numbered, kept in a ring for `Last-Event-ID`
 * replay after a reconnect, and pushed to every open page (no polling).
 *
 * @example
 * ```ts
 * const hub = new EventHub(10_000);
 * hub.publish({ type: 'run_restored', experimentId: '0', runId: 'abc' });
 * ```
 */
import type http from 'node:http';
import { eventToJson } from '../../catalog/events.js';
import type { ChangeEvent } from '../../catalog/events.js';

interface Stored {
  id: number;
  data: string;
}

/**
 * The stream of change events with a replay ring.
 *
 * @example
 * ```ts
 * hub.attach(req, res); // text/event-stream until the client goes
 * ```
 */
export class EventHub {
  private readonly ring: Stored[] = [];
  private next = 1;
  private readonly clients = new Set<http.ServerResponse>();
  private readonly ping: NodeJS.Timeout;
  /** An id that changes with every server start: replay across restarts is refused. */
  readonly epoch = Date.now().toString(36);

  constructor(private readonly keep = 20_000) {
    this.ping = setInterval(() => {
      for (const c of this.clients) c.write(': ping\n\n');
    }, 15_000);
    this.ping.unref();
  }

  /** Numbers an event, keeps it for replay and sends it to every client. */
  publish(e: ChangeEvent): void {
    const s: Stored = { id: this.next++, data: eventToJson(e) };
    this.ring.push(s);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    const msg = frame(s, this.epoch);
    for (const c of this.clients) c.write(msg);
  }

  /** Streams to a client: first the events after `Last-Event-ID` (or a `reset` when they are gone). */
  attach(req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>, lastEventId: string | null): void {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(`retry: 1000\n: mlruns ui ${this.epoch}\n\n`);
    if (lastEventId) {
      const [epoch, n] = lastEventId.split('-');
      const last = Number(n);
      const oldest = this.ring[0]?.id ?? this.next;
      if (epoch !== this.epoch || !Number.isInteger(last) || last + 1 < oldest) {
        res.write(`event: reset\ndata: {}\n\n`);
      } else {
        for (const s of this.ring) if (s.id > last) res.write(frame(s, this.epoch));
      }
    } else {
      res.write(`event: hello\nid: ${this.epoch}-${this.next - 1}\ndata: {}\n\n`);
    }
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.ping);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

function frame(s: Stored, epoch: string): string {
  return `id: ${epoch}-${s.id}\ndata: ${s.data}\n\n`;
}
