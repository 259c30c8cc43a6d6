/**
 * Batch inference, like `mlflow models predict`: reads CSV, JSON Lines, Parquet (or a JSON
 * data frame) in chunks, predicts them in worker threads (one model session each, several
 * chunks in flight, output kept in input order), and writes the predictions as JSON (MLflow's
 * `{"predictions": ...}`), JSON Lines, CSV or Parquet, optionally with input columns kept.
 * Memory stays bounded by the chunk size, not the input size (a JSON document up to
 * {@link PREDICT_JSON_LIMIT} is parsed whole, a larger one streamed one batch of rows at a time). The
 * output is written to a temporary file renamed at the end: a stop leaves no half-written file.
 * A bad row stops the run with its row number, or is skipped and reported (`skipBadRows`).
 *
 * @example
 * ```ts
 * import { predictFile } from 'mlruns/serve';
 * const r = await predictFile('models:/iris@champion', { input: 'in.csv', output: 'out.jsonl', root: './mlruns' });
 * r.rows; // rows predicted
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MlflowError } from '../errors.js';
import { PyFloat } from '../format/float.js';
import type { Frame, Series } from './data.js';
import { frameFromRecords } from './data.js';
import { csvFrameFromBytes, csvHeaderFromBytes } from './csv.js';
import type { BatchRequest, BatchResult, BatchText } from './batch.js';
import type { PyfuncModel } from './pyfunc.js';
import os from 'node:os';
import { jsonFrameBatches } from './json-stream.js';
import { parsePyJson } from './pyjson.js';
// the model code (pyfunc, batch, scoring) is imported when this thread needs it: with worker
// threads (the default) only the workers load it, and this thread starts reading sooner

/**
 * A file format of {@link predictFile}'s input and output.
 *
 * @example
 * ```ts
 * const format: PredictFormat = 'parquet';
 * ```
 */
export type PredictFormat = 'csv' | 'json' | 'jsonl' | 'parquet';

/**
 * Options of {@link predictFile}.
 *
 * @example
 * ```ts
 * await predictFile('models:/iris/1', { input: 'rows.jsonl', output: 'out.jsonl' });
 * ```
 */
export interface PredictFileOptions {
  input: string;
  /** Output file; default: stdout (not atomic). */
  output?: string | null;
  /** Input format (default from the extension, else csv). */
  inputType?: PredictFormat;
  /** Output format (default from the output extension, else json). */
  outputType?: PredictFormat;
  root?: string | null;
  /** Worker threads (default: one per core but one, at least 1, at most 8 — this thread reads and parses the input; 0 = everything in this thread). */
  workers?: number;
  /** Rows per chunk (default 10000). */
  batchSize?: number;
  /** Input columns copied into each output row (e.g. a key column), and not given to the model. */
  keepColumns?: string[];
  skipBadRows?: boolean;
  onProgress?: (p: { rows: number; bytes: number; totalBytes: number }) => void;
  signal?: AbortSignal;
}

/**
 * What {@link predictFile} did.
 *
 * @example
 * ```ts
 * const result: PredictFileResult = await predictFile('models:/iris/1', { input: 'rows.csv', output: 'out.csv' });
 * ```
 */
export interface PredictFileResult {
  rows: number;
  bad: Array<{ row: number; message: string }>;
  output: string | null;
}

/** Workers of predict: one per core but the one reading and parsing the input (at least 1, at most 8). */
const defaultPredictWorkers = (): number => Math.min(8, Math.max(1, os.availableParallelism() - 1));

/**
 * The largest JSON (not JSON Lines) input of {@link predictFile} parsed whole, in bytes, exactly
 * as the scoring server parses a request body (every request form, MLflow's errors). A larger
 * JSON data frame is streamed (`jsonFrameBatches`): a list of records, `dataframe_records` or
 * `dataframe_split`, one batch of rows in memory at a time.
 *
 * @example
 * ```ts
 * const streamed = fs.statSync('frame.json').size > PREDICT_JSON_LIMIT;
 * ```
 */
export const PREDICT_JSON_LIMIT = 8 * 1024 * 1024;

const formatOf = (file: string, fallback: PredictFormat): PredictFormat => {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.json') return 'json';
  return fallback;
};

interface Chunk {
  frame: Frame;
  firstRow: number;
  bytes: number;
}

/** How many row ends (line breaks outside quotes) `buf` holds from `st.pos` on, stopping at `want`: `st.cut` is after the last one counted. */
function countRows(buf: Buffer, st: { pos: number; rows: number; inQuotes: boolean; cut: number }, want: number): void {
  let inQ = st.inQuotes;
  let rows = st.rows;
  let i = st.pos;
  if (!inQ) {
    // up to the next quote or CR (usually the whole buffer), a row ends at each LF
    let end = buf.length;
    const q = buf.indexOf(0x22, i);
    if (q >= 0) end = q;
    const r = buf.indexOf(0x0d, i);
    if (r >= 0 && r < end) end = r;
    for (; i < end && rows < want; i++) {
      if (buf[i] === 0x0a) {
        rows++;
        st.cut = i + 1;
      }
    }
  }
  for (; i < buf.length && rows < want; i++) {
    const c = buf[i] as number;
    if (c === 0x22) inQ = !inQ;
    else if (!inQ && (c === 0x0a || c === 0x0d)) {
      if (c === 0x0d && buf[i + 1] === 0x0a) i++;
      rows++;
      st.cut = i + 1;
    }
  }
  st.pos = i;
  st.rows = rows;
  st.inQuotes = inQ;
}

/** The error of a prediction stopped by its signal. */
function stoppedError(): MlflowError {
  return new MlflowError('CANCELLED' as never, 'Prediction stopped');
}

/**
 * The chunks of `source` until `signal` aborts: a pending read loses the race to the abort, which
 * throws `CANCELLED` at once instead of waiting for input that may never come.
 */
async function* untilAborted<T>(source: AsyncGenerator<T>, signal: AbortSignal): AsyncGenerator<T> {
  const stopped = new Promise<never>((_, reject) => {
    const stop = (): void => reject(stoppedError());
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  stopped.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const step = await Promise.race([source.next(), stopped]);
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    // closes the reader once its pending read returns; not awaited, since that read may never return
    if (!finished) source.return(undefined).catch(() => undefined);
  }
}

/**
 * CSV chunks, read from the bytes as they come (1 MiB reads): about `batchSize` rows at a time
 * are cut at a line break outside quotes and parsed straight from the bytes; a chunk's columns
 * keep the dtypes of earlier chunks where they are wider.
 */
async function* csvChunks(file: string, batchSize: number): AsyncGenerator<Chunk> {
  const fh = await fs.promises.open(file, 'r');
  try {
    let pending: Buffer = Buffer.alloc(0);
    let eof = false;
    let bytesRead = 0;
    const more = async (): Promise<void> => {
      const block = Buffer.allocUnsafe(1 << 20);
      const { bytesRead: n } = await fh.read(block, 0, block.length, null);
      if (n === 0) eof = true;
      else {
        bytesRead += n;
        pending = pending.length === 0 ? block.subarray(0, n) : Buffer.concat([pending, block.subarray(0, n)]);
      }
    };
    let header: string[] | null = null;
    while (header === null) {
      const h = csvHeaderFromBytes(pending, eof);
      if (h) {
        header = h.names;
        pending = pending.subarray(h.next);
      } else if (eof) throw new MlflowError('INVALID_PARAMETER_VALUE', `'${file}' is empty: no CSV header`);
      else await more();
    }
    let row = 1;
    const floatCols = new Set<number>();
    const make = (bytes: Buffer): Chunk | null => {
      const frame = csvFrameFromBytes(bytes, header as string[], row + 1);
      if (frame.nrows === 0) return null;
      frame.cols.forEach((c, j) => {
        if (c.dtype === 'float64') floatCols.add(j);
        else if (c.dtype === 'int64' && floatCols.has(j)) frame.cols[j] = { dtype: 'float64', values: c.values };
      });
      const chunk = { frame, firstRow: row, bytes: bytesRead - pending.length };
      row += frame.nrows;
      return chunk;
    };
    const st = { pos: 0, rows: 0, inQuotes: false, cut: -1 };
    for (;;) {
      countRows(pending, st, batchSize);
      if (st.rows >= batchSize) {
        const bytes = pending.subarray(0, st.cut);
        pending = pending.subarray(st.cut);
        Object.assign(st, { pos: 0, rows: 0, inQuotes: false, cut: -1 });
        const c = make(bytes);
        if (c) yield c;
        continue;
      }
      if (eof) break;
      await more();
    }
    if (pending.length > 0) {
      const bytes = pending;
      pending = Buffer.alloc(0);
      const c = make(bytes);
      if (c) yield c;
    }
  } finally {
    await fh.close();
  }
}

async function* jsonlChunks(file: string, batchSize: number): AsyncGenerator<Chunk> {
  const stream = fs.createReadStream(file);
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let recs: unknown[] = [];
  let row = 1;
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = parsePyJson(line);
    } catch (err) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Line ${n} of '${file}' is not JSON: ${(err as Error).message}`);
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec) || rec instanceof PyFloat) throw new MlflowError('INVALID_PARAMETER_VALUE', `Line ${n} of '${file}' is not a JSON object (one record per line)`);
    recs.push(rec);
    if (recs.length >= batchSize) {
      yield { frame: frameFromRecords(recs), firstRow: row, bytes: stream.bytesRead };
      row += recs.length;
      recs = [];
    }
  }
  if (recs.length > 0) yield { frame: frameFromRecords(recs), firstRow: row, bytes: stream.bytesRead };
}

async function* jsonChunks(file: string, batchSize: number, model: Pick<PyfuncModel, 'schema'>): AsyncGenerator<Chunk> {
  const size = fs.statSync(file).size;
  if (size > PREDICT_JSON_LIMIT) {
    yield* jsonFrameBatches(file, batchSize);
    return;
  }
  const text = fs.readFileSync(file, 'utf8');
  let frame: Frame;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) frame = frameFromRecords(parsePyJson(text) as unknown[]);
  else {
    const { parseJsonRequest } = await import('./scoring.js');
    const { data } = parseJsonRequest(text, { schema: null });
    if (data.kind !== 'frame') throw new MlflowError('INVALID_PARAMETER_VALUE', `'${file}': batch prediction reads data frames (dataframe_split, dataframe_records, or a list of records); use the server for tensor inputs`);
    frame = data;
  }
  void model;
  for (let start = 0; start < frame.nrows; start += batchSize) {
    const end = Math.min(frame.nrows, start + batchSize);
    yield {
      frame: { kind: 'frame', columns: frame.columns, cols: frame.cols.map((c) => ({ dtype: c.dtype, values: c.values.slice(start, end) })), nrows: end - start },
      firstRow: start + 1,
      bytes: Math.round((end / frame.nrows) * text.length),
    };
  }
}

async function* parquetChunks(file: string, batchSize: number): AsyncGenerator<Chunk> {
  const hp = await import('hyparquet');
  const asyncBuffer = await hp.asyncBufferFromFile(file);
  const metadata = await hp.parquetMetadataAsync(asyncBuffer);
  const total = Number(metadata.num_rows);
  const floatCols = new Set(metadata.schema.filter((s) => s.type === 'DOUBLE' || s.type === 'FLOAT').map((s) => s.name));
  const size = fs.statSync(file).size;
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const rows = (await hp.parquetReadObjects({ file: asyncBuffer, metadata, rowStart: start, rowEnd: end })) as Array<Record<string, unknown>>;
    const recs = rows.map((r) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'bigint' ? Number(v) : floatCols.has(k) && typeof v === 'number' && Number.isInteger(v) ? new PyFloat(v) : v;
      return o;
    });
    yield { frame: frameFromRecords(recs), firstRow: start + 1, bytes: Math.round((end / total) * size) };
  }
}

/**
 * A frame for a worker: each column of plain numbers travels as a Float64Array (transferred,
 * not cloned number by number); the worker turns it back into an array ({@link unpackFrame}).
 */
function packFrame(f: Frame): { frame: Frame; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const cols = f.cols.map((c) => {
    if ((c.dtype !== 'float64' && c.dtype !== 'int64') || c.values.length !== f.nrows) return c;
    const v = c.values;
    const packed = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number') return c;
      packed[i] = x;
    }
    transfer.push(packed.buffer);
    return { dtype: c.dtype, values: [], packed } as Series;
  });
  return { frame: transfer.length ? { ...f, cols } : f, transfer };
}

/** Runs chunks on worker threads (or in this thread), a few in flight, results in order. */
class BatchRunner {
  private workers: Worker[] = [];
  private inline: PyfuncModel | null = null;
  private predictInline: ((m: PyfuncModel, req: BatchRequest) => Promise<BatchResult>) | null = null;
  private next = 1;
  private readonly waiting = new Map<number, (r: BatchResult) => void>();
  private rr = 0;

  static async start(uri: string, root: string | null, count: number): Promise<BatchRunner> {
    const r = new BatchRunner();
    let script: URL | undefined = new URL('./worker.js', import.meta.url);
    if (script.protocol !== 'file:' || !fs.existsSync(fileURLToPath(script))) script = undefined;
    if (count <= 0 || !script) {
      const [{ loadPyfunc }, { predictBatch }] = await Promise.all([import('./pyfunc.js'), import('./batch.js')]);
      r.inline = await loadPyfunc(uri, { root });
      r.predictInline = predictBatch;
      return r;
    }
    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const w = new Worker(script, { workerData: { uri, root }, execArgv: [] });
      r.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.on('message', (msg: { type: string; id: number; message?: string; code?: string } & BatchResult) => {
            if (msg.type === 'ready') resolve();
            else if (msg.type === 'failed') reject(new MlflowError((msg.code as never) ?? 'INTERNAL_ERROR', msg.message ?? 'the model failed to load'));
            else if (msg.type === 'batch') {
              const cb = r.waiting.get(msg.id);
              r.waiting.delete(msg.id);
              cb?.(msg);
            }
          });
          w.on('error', reject);
        }),
      );
    }
    // not awaited here: the input is read and parsed while the workers load the model
    r.ready = Promise.all(ready).then(() => undefined);
    r.ready.catch(() => undefined);
    return r;
  }

  /** Settles when every worker has loaded the model (rejects with the load error). */
  ready: Promise<void> = Promise.resolve();

  get size(): number {
    return Math.max(1, this.workers.length);
  }

  run(req: BatchRequest): Promise<BatchResult> {
    if (this.inline && this.predictInline) return this.predictInline(this.inline, req);
    const id = this.next++;
    const w = this.workers[this.rr++ % this.workers.length] as Worker;
    const { frame, transfer } = packFrame(req.frame);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      w.postMessage({ type: 'batch', id, batch: { ...req, frame } }, transfer);
    });
  }

  async stop(): Promise<void> {
    await this.inline?.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Output writers: JSON (MLflow's shape), JSON Lines and CSV take the text the workers wrote; Parquet takes rows. */
interface Sink {
  write(rows: Array<Record<string, unknown>>): Promise<void>;
  writeText(t: BatchText): Promise<void>;
  finish(): Promise<void>;
}

function textSink(fd: number | null, format: 'json' | 'jsonl' | 'csv', tmpBase: string): Sink {
  const out = (s: string | Uint8Array): void => {
    if (s.length === 0) return;
    if (fd === null) process.stdout.write(s);
    else if (typeof s === 'string') fs.writeSync(fd, s);
    else for (let off = 0; off < s.length; ) off += fs.writeSync(fd, s, off);
  };
  let first = true;
  let header = false;
  let kind: 'frame' | 'dict' = 'frame';
  const parts = new Map<string, { file: string; fd: number; first: boolean }>();
  return {
    async write() {
      throw new Error('a text output takes text');
    },
    async writeText(t) {
      // a worker sends its text as UTF-8 bytes (transferred, not copied)
      const body = t.bytes ?? t.text;
      if (format === 'jsonl') return out(body);
      if (format === 'csv') {
        if (!header && t.n > 0) {
          header = true;
          out(`${t.header}\n`);
        }
        return out(body);
      }
      if (t.n === 0) return;
      if (first) kind = t.kind;
      if (kind === 'frame') {
        out(first ? '{"predictions": [' : ', ');
        out(body);
        first = false;
        return;
      }
      first = false;
      for (const [key, text] of t.parts) {
        let p = parts.get(key);
        if (!p) {
          const file = `${tmpBase}.part${parts.size}`;
          p = { file, fd: fs.openSync(file, 'w'), first: true };
          parts.set(key, p);
        }
        fs.writeSync(p.fd, `${p.first ? '' : ', '}${text}`);
        p.first = false;
      }
    },
    async finish() {
      if (format !== 'json') return;
      if (first) out('{"predictions": []}');
      else if (kind === 'frame') out(']}');
      else {
        out('{"predictions": {');
        let i = 0;
        for (const [key, p] of parts) {
          fs.closeSync(p.fd);
          out(`${i++ ? ', ' : ''}${JSON.stringify(key)}: [`);
          const rs = fs.createReadStream(p.file, { encoding: 'utf8', highWaterMark: 1 << 20 });
          for await (const c of rs) out(c as string);
          out(']');
          fs.rmSync(p.file, { force: true });
        }
        out('}}');
      }
    },
  };
}

async function parquetSink(file: string): Promise<Sink> {
  const hw = await import('hyparquet-writer');
  let writer: InstanceType<typeof hw.ParquetWriter> | null = null;
  let names: string[] = [];
  let types: string[] = [];
  return {
    async writeText() {
      throw new Error('a Parquet output takes rows');
    },
    async write(rows) {
      if (rows.length === 0) return;
      if (!writer) {
        names = Object.keys(rows[0] as object);
        types = names.map((n) => {
          const v = (rows[0] as Record<string, unknown>)[n];
          return typeof v === 'number' ? 'DOUBLE' : typeof v === 'boolean' ? 'BOOLEAN' : typeof v === 'string' ? 'STRING' : 'JSON';
        });
        const columnData = names.map((name, j) => ({ name, data: [] as unknown[], type: types[j] as never }));
        writer = new hw.ParquetWriter({ writer: hw.fileWriter(file), schema: hw.schemaFromColumnData({ columnData }) });
      }
      writer.write({
        columnData: names.map((name, j) => ({ name, data: rows.map((r) => r[name] ?? null), type: types[j] as never })),
      });
    },
    async finish() {
      if (!writer) {
        writer = new hw.ParquetWriter({ writer: hw.fileWriter(file), schema: hw.schemaFromColumnData({ columnData: [{ name: 'prediction', data: [], type: 'DOUBLE' }] }) });
      }
      writer.finish();
    },
  };
}

/**
 * Predicts a file (CSV, JSON, JSON Lines or Parquet) in batches on worker threads; the output is
 * written to a temporary file and renamed into place at the end. See the module comment.
 *
 * @example
 * ```ts
 * const result = await predictFile('models:/iris@champion', { input: 'rows.csv', output: 'predictions.csv' });
 * console.log(result);
 * ```
 */
export async function predictFile(uri: string, options: PredictFileOptions): Promise<PredictFileResult> {
  const inputType = options.inputType ?? formatOf(options.input, 'csv');
  const output = options.output ?? null;
  const outputType = options.outputType ?? (output ? formatOf(output, 'json') : 'json');
  if (outputType === 'parquet' && !output) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Parquet output needs an output file (-o)');
  if (!fs.existsSync(options.input)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No input file '${options.input}'`);
  const batchSize = options.batchSize ?? 10_000;
  const keep = options.keepColumns ?? [];
  const totalBytes = fs.statSync(options.input).size;
  const runner = await BatchRunner.start(uri, options.root ?? null, options.workers ?? defaultPredictWorkers());
  const tmp = output ? path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.${process.pid}.tmp`) : null;
  let fd: number | null = null;
  const bad: PredictFileResult['bad'] = [];
  let rows = 0;
  const cleanup = (): void => {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed */
      }
      fd = null;
    }
    if (tmp) {
      fs.rmSync(tmp, { force: true });
      for (let i = 0; i < 64; i++) fs.rmSync(`${tmp}.part${i}`, { force: true });
    }
  };
  try {
    let sink: Sink;
    if (outputType === 'parquet') sink = await parquetSink(tmp as string);
    else {
      if (tmp) fd = fs.openSync(tmp, 'w');
      sink = textSink(fd, outputType, tmp ?? path.join(process.cwd(), `.mlruns-predict.${process.pid}`));
    }
    const rawChunks =
      inputType === 'csv'
        ? csvChunks(options.input, batchSize)
        : inputType === 'jsonl'
          ? jsonlChunks(options.input, batchSize)
          : inputType === 'parquet'
            ? parquetChunks(options.input, batchSize)
            : jsonChunks(options.input, batchSize, { schema: null });
    // a stop signal ends a wait for input too (a pipe or FIFO that has not sent its next rows)
    const chunks = options.signal ? untilAborted(rawChunks, options.signal) : rawChunks;
    const inflight: Array<{ chunk: Chunk; result: Promise<BatchResult> }> = [];
    const depth = runner.size * 2;
    const drainOne = async (): Promise<void> => {
      const { chunk, result } = inflight.shift() as { chunk: Chunk; result: Promise<BatchResult> };
      await runner.ready;
      const r = await result;
      if (options.signal?.aborted) throw stoppedError();
      if (r.error) throw new MlflowError('INVALID_PARAMETER_VALUE', r.error);
      bad.push(...r.bad);
      if (r.text) {
        await sink.writeText(r.text);
        rows += r.text.n;
      } else {
        const keptCols = keep.map((k) => chunk.frame.cols[chunk.frame.columns.indexOf(k)] as { values: unknown[] });
        const out = r.rows.map((row, i) => {
          if (keep.length === 0) return row;
          const o: Record<string, unknown> = {};
          keep.forEach((k, j) => (o[k] = (keptCols[j] as { values: unknown[] }).values[r.kept[i] as number]));
          return { ...o, ...row };
        });
        await sink.write(out);
        rows += out.length;
      }
      options.onProgress?.({ rows, bytes: chunk.bytes, totalBytes });
    };
    for await (const chunk of chunks) {
      if (options.signal?.aborted) throw stoppedError();
      const keepCols = keep.map((k) => {
        const j = chunk.frame.columns.indexOf(k);
        if (j < 0) throw new MlflowError('INVALID_PARAMETER_VALUE', `The input has no column '${k}' to keep (its columns: ${chunk.frame.columns.join(', ')})`);
        return chunk.frame.cols[j] as Series;
      });
      const modelFrame: Frame =
        keep.length === 0
          ? chunk.frame
          : { kind: 'frame', columns: chunk.frame.columns.filter((c) => !keep.includes(c)), cols: chunk.frame.cols.filter((_, j) => !keep.includes(chunk.frame.columns[j] as string)), nrows: chunk.frame.nrows };
      const req: BatchRequest = { frame: modelFrame, firstRow: chunk.firstRow, skipBadRows: options.skipBadRows ?? false };
      if (outputType !== 'parquet') req.output = { format: outputType, keepNames: keep, keepCols };
      inflight.push({ chunk, result: runner.run(req) });
      if (inflight.length >= depth) await drainOne();
    }
    while (inflight.length > 0) await drainOne();
    await runner.ready;
    await sink.finish();
    if (fd !== null) {
      fs.closeSync(fd);
      fd = null;
    }
    if (tmp && output) fs.renameSync(tmp, output);
    return { rows, bad, output };
  } catch (err) {
    cleanup();
    // a model that fails to load is the error to report, as when the run waited for it first
    await runner.ready;
    throw err;
  } finally {
    await runner.stop();
  }
}
