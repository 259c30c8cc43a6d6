/**
 * Shared pieces of the serve tests: the full Python oracle (`.oracle/mlflow-3-full`: MLflow
 * 3.17.2 with onnx, onnxruntime, pandas, uvicorn), a script that builds ONNX models with the
 * `onnx` package and logs them with `mlflow.onnx.log_model`, and real `mlflow models serve`
 * processes to compare with.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO, pyEnv } from '../models/helpers.js';
import { warmPythonSpawn, warmPythonSync } from '../oracle/zygote.js';

export const FULL = path.join(REPO, '.oracle/mlflow-3-full');
export const PY_FULL = path.join(FULL, 'bin/python');

/** Python that builds the ONNX graphs: `linear` (x[N,3] → y[N,1]) and `two` (a, b [N,1] or [N] → s = a+b, p = a·b). */
export const BUILD_ONNX_PY = String.raw`
import onnx, numpy as np
from onnx import helper, TensorProto, numpy_helper
def linear(w=(2.0, -1.0, 0.5), b=0.25):
    W = numpy_helper.from_array(np.array([[w[0]], [w[1]], [w[2]]], dtype=np.float32), 'W')
    B = numpy_helper.from_array(np.array([b], dtype=np.float32), 'B')
    X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, 3])
    Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 1])
    g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['xw']), helper.make_node('Add', ['xw', 'B'], ['y'])], 'linear', [X], [Y], [W, B])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]); m.ir_version = 8
    onnx.checker.check_model(m)
    return m
def two(shape=(None, 1)):
    A = helper.make_tensor_value_info('a', TensorProto.FLOAT, list(shape))
    Bi = helper.make_tensor_value_info('b', TensorProto.FLOAT, list(shape))
    S = helper.make_tensor_value_info('s', TensorProto.FLOAT, list(shape))
    P = helper.make_tensor_value_info('p', TensorProto.FLOAT, list(shape))
    g = helper.make_graph([helper.make_node('Add', ['a', 'b'], ['s']), helper.make_node('Mul', ['a', 'b'], ['p'])], 'two', [A, Bi], [S, P])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]); m.ir_version = 8
    onnx.checker.check_model(m)
    return m
`;

/** Runs Python in the full oracle (MLflow file store allowed); `result` comes back as JSON. */
export function pyFull<T = unknown>(root: string, script: string): T {
  const prelude = [
    'import json, os, sys, warnings, logging',
    'warnings.filterwarnings("ignore")',
    'logging.disable(logging.WARNING)',
    'import mlflow',
    `ROOT = ${JSON.stringify(root)}`,
    "mlflow.set_tracking_uri('file://' + ROOT)",
    "mlflow.set_registry_uri('file://' + ROOT)",
    'result = None',
  ].join('\n');
  const r = warmPythonSync(PY_FULL, ['-c', `${prelude}\n${script}\nsys.stdout.write('\\n@@RESULT@@' + json.dumps(result))\n`], {
    cwd: REPO,
    env: pyEnv(),
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  const at = r.stdout.lastIndexOf('@@RESULT@@');
  if (at < 0) throw new Error(`python printed no result:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.slice(at + '@@RESULT@@'.length)) as T;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The real `mlflow models serve -m <uri> --env-manager local -h 127.0.0.1 -p <free port>` of the
 * full oracle (MLflow 3.17.2: the CLI starts uvicorn with MLflow's scoring app in a child
 * process). It runs in its own process group, so `stop()` ends the CLI and its uvicorn child
 * together.
 */
export async function startMlflowModelsServe(root: string, uri: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (!fs.existsSync(PY_FULL)) throw new Error(`The Python oracle is missing: ${PY_FULL} (run scripts/setup-oracle.sh)`);
  const port = await freePort();
  // In a warm interpreter (test/rest/warm_mlflow.py): the same CLI and scoring app, without
  // importing mlflow again in both processes.
  const child: ChildProcess = warmPythonSpawn(PY_FULL, [path.join(REPO, 'test/rest/warm_mlflow.py'), 'models', 'serve', '-m', uri, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port)], {
    cwd: REPO,
    env: pyEnv({ MLFLOW_TRACKING_URI: `file://${root}`, MLFLOW_REGISTRY_URI: `file://${root}`, PATH: `${path.join(FULL, 'bin')}:${process.env['PATH'] ?? ''}` }),
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 15_000);
    await exited;
    clearTimeout(t);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 420_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mlflow models serve -m ${uri} exited (${child.exitCode}):\n${err}`);
    try {
      if ((await fetch(`${url}/ping`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mlflow models serve -m ${uri} did not start:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, stop };
}

/** A request to send: body (object → JSON), content type (null: none sent), method, path. */
export interface Req {
  body?: unknown;
  ct?: string | null;
  method?: string;
  path?: string;
}

export interface Res {
  status: number;
  ct: string | null;
  text: string;
}

/** Sends a request. */
export async function send(base: string, r: Req): Promise<Res> {
  const headers: Record<string, string> = {};
  if (r.ct !== null) headers['content-type'] = r.ct ?? 'application/json';
  const body = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const res = await fetch(`${base}${r.path ?? '/invocations'}`, { method: r.method ?? (r.body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, ct: res.headers.get('content-type'), text: await res.text() };
}

/** Deep equality of parsed JSON with a float tolerance. */
export function closeTo(a: unknown, b: unknown, tol = 1e-6): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b)) || (Number.isNaN(a) && Number.isNaN(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => closeTo(x, b[i], tol));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && closeTo((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol));
  }
  return a === b;
}

/** The request forms and bad requests every model is asked. */
export const CASES: Req[] = [
  { body: { inputs: [[1, 2, 3], [4, 5, 6]] } },
  { body: { instances: [[1, 2, 3], [4, 5, 6]] } },
  { body: { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 2, 3], [4, 5, 6]] } } },
  { body: { dataframe_split: { columns: ['a', 'b', 'c'], index: [7, 8], data: [[1.5, 2, 3], [4, 5, 6.25]] } } },
  { body: { dataframe_records: [{ a: 1, b: 2, c: 3 }, { a: 4, b: 5, c: 6 }] } },
  { body: 'a,b,c\n1,2,3\n4,5,6\n', ct: 'text/csv' },
  { body: 'a,b,c\n1.5,2.5,3.5\n4.5,5.5,6.5\n', ct: 'text/csv' },
  { body: 'a,b\n1.5,2.5\n3.5,1\n', ct: 'text/csv' },
  { body: { inputs: [[1, 2, 3], [4, 5, 6]], params: { k: 1 } } },
  { body: '{"inputs": [[1.0, 2.0, 3.0]]}' },
  { body: { inputs: [[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]] } },
  { body: { instances: [[1.5, 2.5, 3.5]] } },
  { body: { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]] } } },
  { body: { dataframe_records: [{ a: 1.5, b: 2.5, c: 3.5 }] } },
  { body: { inputs: { x: [[1.5, 2.5, 3.5]] } } },
  { body: { inputs: { x: [[1, 2, 3]] } } },
  { body: { inputs: { a: [[1.5]], b: [[2.5]] } } },
  { body: { inputs: { a: [[1]], b: [[2]] } } },
  { body: { inputs: { a: [1.5, 2.5], b: [2.5, 3.5] } } },
  { body: { instances: [{ a: [1.5], b: [2.5] }, { a: [3.5], b: [1] }] } },
  { body: { dataframe_split: { columns: ['a', 'b'], data: [[1.5, 2.5], [3.5, 1.0]] } } },
  { body: { dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, 1]] } } },
  { body: { dataframe_records: [{ a: 1, b: 2 }] } },
  { body: { dataframe_records: [{ a: 1.5, b: 2, z: 3 }] } },
  // wrong columns, types, shapes
  { body: { inputs: [[1, 2]] } },
  { body: { inputs: [1, 2, 3] } },
  { body: { inputs: [['a', 'b', 'c']] } },
  { body: { inputs: [[1, 2, 3], [4, 5]] } },
  { body: { inputs: { a: [[1.5]] } } },
  { body: { dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [4, 5]] } } },
  { body: { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 2]] } } },
  { body: { dataframe_split: { data: [[1, 2, 3]], foo: 1 } } },
  { body: { dataframe_split: [[1, 2, 3]] } },
  { body: { dataframe_records: { a: 1 } } },
  { body: { dataframe_records: [{ a: 'x', b: 2, c: 3 }] } },
  { body: { dataframe_records: [{ a: 1.5 }] } },
  { body: 'a,b,c\n1,x,3\n', ct: 'text/csv' },
  { body: 'a,b\n1.5,x\n', ct: 'text/csv' },
  // malformed bodies, unknown content types, empty bodies
  { body: '{not json' },
  { body: '' },
  { body: '', ct: 'text/csv' },
  { body: '[1, 2]' },
  { body: '"text"' },
  { body: { foo: 1 } },
  { body: { inputs: [[1, 2, 3]], instances: [[1, 2, 3]] } },
  { body: 'a,b,c\n1,2,3\n', ct: 'text/plain' },
  { body: { inputs: [[1, 2, 3]] }, ct: 'application/xml' },
  { body: { inputs: [[1, 2, 3]] }, ct: 'application/json; charset=latin-1' },
  { body: { inputs: [[1, 2, 3]] }, ct: 'application/json; format=pandas-split' },
  { body: { inputs: [[1, 2, 3]] }, ct: 'application/json; charset=UTF-8' },
  // the other endpoints
  { method: 'GET', path: '/ping' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/version' },
  { method: 'GET', path: '/nope' },
  { method: 'GET', path: '/invocations' },
  { method: 'POST', path: '/ping', body: '{}' },
];
