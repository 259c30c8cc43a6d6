/**
 * Shared pieces of the model tests: temp folders, the Python oracle with ONNX (`.oracle/mlflow-3-onnx`,
 * MLflow 3.17.2 + onnx + onnxruntime), and a tiny linear ONNX model built with `onnx.helper`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { venvPython } from '../oracle/oracle.js';
import { warmPythonSync } from '../oracle/zygote.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PY_ONNX = venvPython('mlflow-3-onnx');

const made: string[] = [];

export function tmpDir(prefix = 'mlruns-models-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanup(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The environment of Python: file store allowed, no tracking variables from the outside. */
export function pyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', ...extra };
  for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_ID', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID', 'MLFLOW_REGISTRY_URI']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

/**
 * Runs a Python script in the ONNX oracle with `root` as tracking and registry URI. The script
 * sets `result`; it comes back parsed from JSON.
 */
export function py<T = any>(root: string, script: string, options: { cwd?: string } = {}): T {
  const prelude = [
    'import json, os, sys, warnings, logging',
    'warnings.filterwarnings("ignore")',
    'logging.disable(logging.WARNING)',
    'import mlflow',
    'from mlflow import MlflowClient',
    `ROOT = ${JSON.stringify(root)}`,
    "mlflow.set_tracking_uri('file://' + ROOT)",
    "mlflow.set_registry_uri('file://' + ROOT)",
    'client = MlflowClient()',
    'result = None',
  ].join('\n');
  const epilogue = "\nsys.stdout.write('\\n@@RESULT@@' + json.dumps(result, default=str))\n";
  const r = warmPythonSync(PY_ONNX, ['-c', `${prelude}\n${script}\n${epilogue}`], {
    cwd: options.cwd ?? REPO,
    env: pyEnv(),
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  const at = r.stdout.lastIndexOf('@@RESULT@@');
  if (at < 0) throw new Error(`python printed no result:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.slice(at + '@@RESULT@@'.length)) as T;
}

/** Python that builds the linear model y = x·W + B (x: float32 [N, 3], y: [N, 1]) as `m`. */
export const LINEAR_ONNX_PY = String.raw`
import onnx, numpy as np
from onnx import helper, TensorProto, numpy_helper
W = numpy_helper.from_array(np.array([[2.0], [-1.0], [0.5]], dtype=np.float32), 'W')
B = numpy_helper.from_array(np.array([0.25], dtype=np.float32), 'B')
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, 3])
Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 1])
g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['xw']), helper.make_node('Add', ['xw', 'B'], ['y'])], 'linear', [X], [Y], [W, B])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='mlruns-test')
m.ir_version = 8
onnx.checker.check_model(m)
`;

/** Writes the linear ONNX model to `file` with Python's onnx. */
export function makeLinearOnnx(file: string): void {
  py(path.dirname(file), `${LINEAR_ONNX_PY}\nonnx.save(m, ${JSON.stringify(file)})\nresult = True`);
}

/** y = x·[2, -1, 0.5] + 0.25, in float32 as onnxruntime computes it (for sanity checks). */
export function linear(x: number[]): number {
  const f = Math.fround;
  return f(f(f(f(x[0] as number) * 2) + f(f(x[1] as number) * -1)) + f(f(x[2] as number) * 0.5)) + 0.25;
}
