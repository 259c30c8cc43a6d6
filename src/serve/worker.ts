/**
 * A scoring worker thread: loads one model (its own runtime session) and answers
 * `invocations` requests posted by the server, or batches posted by `predict`.
 *
 * @example
 * ```ts
 * new Worker(new URL('./worker.js', import.meta.url), { workerData: { uri, root } });
 * ```
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadPyfunc } from './pyfunc.js';
import type { PyfuncModel } from './pyfunc.js';
import { invocations } from './scoring.js';
import { predictBatch } from './batch.js';
import type { BatchRequest, BatchResult } from './batch.js';
import type { Series } from './data.js';

interface Init {
  uri: string;
  root: string | null;
  sessionOptions?: Record<string, unknown>;
}

const port = parentPort;
const encoder = new TextEncoder();
if (port) {
  const init = workerData as Init;
  let model: PyfuncModel | null = null;
  // predict posts its first batches while the model loads (they wait for it); the server waits for 'ready'
  const loading = loadPyfunc(init.uri, { root: init.root, ...(init.sessionOptions ? { sessionOptions: init.sessionOptions } : {}) });
  loading.then(
    (m) => {
      model = m;
      port.postMessage({ type: 'ready', version: m.version });
    },
    (err: Error & { code?: string }) => port.postMessage({ type: 'failed', message: err.message, code: err.code ?? 'INTERNAL_ERROR' }),
  );
  port.on('message', (msg: { type: string; id: number; body?: Uint8Array; contentType?: string; batch?: BatchRequest }) => {
    const m = model;
    if (msg.type === 'close') {
      void m?.close().finally(() => process.exit(0));
      if (!m) process.exit(0);
      return;
    }
    if (msg.type === 'batch') {
      const batch = msg.batch as BatchRequest;
      // columns of numbers come as Float64Arrays (see predict.ts' packFrame)
      for (const c of batch.frame.cols as Array<Series & { packed?: Float64Array }>) {
        const p = c.packed;
        if (p) {
          const values: number[] = [];
          for (let i = 0; i < p.length; i++) values.push(p[i] as number);
          c.values = values;
          delete c.packed;
        }
      }
      loading.then(
        (lm) => predictBatch(lm, batch),
        (err: Error): BatchResult => ({ rows: [], kept: [], bad: [], error: `the model failed to load: ${err.message}` }),
      ).then(
        (r) => {
          // the text goes back as bytes in a transferred buffer: no copy of a large string on either side
          const bytes = r.text && r.text.text.length > 0 ? encoder.encode(r.text.text) : null;
          if (r.text && bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
            r.text = { ...r.text, text: '', bytes };
            port.postMessage({ type: 'batch', id: msg.id, ...r }, [bytes.buffer]);
          } else port.postMessage({ type: 'batch', id: msg.id, ...r });
        },
        (err: Error) => port.postMessage({ type: 'batch', id: msg.id, error: err.message }),
      );
      return;
    }
    if (!m) {
      port.postMessage({ type: 'result', id: msg.id, status: 503, body: 'model not loaded', mimetype: 'text/plain' });
      return;
    }
    if (msg.type === 'invocations') {
      invocations(Buffer.from(msg.body as Uint8Array), msg.contentType, m).then(
        (r) => port.postMessage({ type: 'result', id: msg.id, ...r }),
        (err: Error) => port.postMessage({ type: 'result', id: msg.id, status: 500, body: err.message, mimetype: 'text/plain' }),
      );
    }
  });
}
