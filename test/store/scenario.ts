/**
 * One scenario of operations, run the same way by Python's MlflowClient (as code for the oracle's
 * exec) and by ours, with pinned ids and times, so the folders can be compared byte for byte and
 * entity by entity.
 */
import type { MlflowClient } from '../../src/tracking/client.js';

export const T = 1_717_000_000_000;

export interface ScenarioIds {
  experimentIds: string[];
  runIds: string[];
  modelIds: string[];
}

export function scenarioIds(): ScenarioIds {
  const hex = (n: number, prefix: string): string => (prefix + n.toString(16).padStart(32 - prefix.length, '0'));
  return {
    experimentIds: ['111111111111111111', '222222222222222222', '333333333333333333', '444444444444444444'],
    runIds: [1, 2, 3, 4].map((n) => hex(n, 'abcdef')),
    modelIds: ['m-' + hex(9, 'fedcba')],
  };
}

/** Python code for the oracle's exec: patches ids and clocks, then runs the scenario. */
export const PYTHON_SCENARIO = String.raw`
import types, uuid, time as _time
import mlflow.store.tracking.file_store as fsm
from mlflow.entities import Metric, Param, RunTag, Dataset, DatasetInput, InputTag
T = vars['T']
exp_ids = iter(vars['ids']['experimentIds'])
major = int(mlflow.__version__.split('.')[0])
_r = vars['ids']['runIds']
uuids = iter([_r[0]] + ([m[2:] for m in vars['ids']['modelIds']] if major >= 3 else []) + _r[1:])
fsm._generate_unique_integer_id = lambda: int(next(exp_ids))
fsm.uuid = types.SimpleNamespace(uuid4=lambda: uuid.UUID(next(uuids)))
fsm.get_current_time_millis = lambda: T
fsm.time = types.SimpleNamespace(time=lambda: T / 1000.0, sleep=_time.sleep)
import mlflow.utils.time as _mt
_mt.get_current_time_millis = lambda: T
try:
    import mlflow.utils.yaml_utils as _yu
except ImportError:
    _yu = None
import shutil, os
if os.path.exists(root):
    shutil.rmtree(root)  # the oracle's client may have created it with the real clock
fsm.FileStore(root, root)  # recreates root and the Default experiment with the pinned clock
c = MlflowClient(root)
e1 = c.create_experiment('bytes-exp', tags={'team': 'a', 'mlflow.note.content': 'desc'})
r1 = c.create_run(e1, start_time=T + 1, tags={'mlflow.user': 'alice', 'mlflow.source.type': 'LOCAL'}, run_name='run-one').info.run_id
c.log_param(r1, 'lr', 0.1)
c.log_param(r1, 'layers', 3)
c.log_param(r1, 'flag', True)
c.log_param(r1, 'name', 'ü 値')
c.log_param(r1, 'nested/key', 'v')
for step, v in enumerate([0.5, 1e-05, float('nan'), float('inf'), -0.0, 1e16, 123456789.125]):
    c.log_metric(r1, 'loss', v, timestamp=T + 2 + step, step=step)
c.log_metric(r1, 'acc', 1.0, timestamp=T + 3, step=0)
c.log_batch(r1, metrics=[Metric('b', 2.5, T + 3, 0)], params=[Param('p2', 'x')], tags=[RunTag('t', 'v')])
c.set_tag(r1, 'mlflow.note.content', 'multi\nline')
if major >= 2:
    c.log_inputs(r1, [DatasetInput(Dataset(name='iris', digest='abc', source_type='local', source='{"uri": "x"}', schema=None, profile=None), [InputTag('mlflow.data.context', 'training')])])
if major >= 3:
    from mlflow.entities import LoggedModelStatus, LoggedModelOutput
    m = c.create_logged_model(e1, name='model', source_run_id=r1, params={'a': '1'}, tags={'k': 'v'})
    c.log_metric(r1, 'mm', 0.9, timestamp=T + 5, step=1, model_id=m.model_id)
    c.finalize_logged_model(m.model_id, LoggedModelStatus.READY)
    c.log_outputs(r1, [LoggedModelOutput(m.model_id, 0)])
c.set_terminated(r1, end_time=T + 10)
r2 = c.create_run(e1, start_time=T + 20, run_name='run-two').info.run_id
c.delete_run(r2)
r3 = c.create_run(e1, start_time=T + 30, run_name='run-three').info.run_id
c.delete_run(r3)
c.restore_run(r3)
e2 = c.create_experiment('to-delete')
r4 = c.create_run(e2, start_time=T + 40, run_name='run-four').info.run_id
c.delete_experiment(e2)
e3 = c.create_experiment('renamed-from')
c.rename_experiment(e3, 'renamed-to')
result = {'e1': e1, 'r1': r1, 'r2': r2, 'r3': r3, 'e2': e2, 'r4': r4, 'e3': e3}
`;

/** The same scenario through our client (built by the caller with pinned ids and clock). */
export async function runOurScenario(c: MlflowClient, major: number): Promise<Record<string, string>> {
  const e1 = await c.createExperiment('bytes-exp', { tags: { team: 'a', 'mlflow.note.content': 'desc' } });
  const r1 = (await c.createRun(e1, { startTime: T + 1, tags: { 'mlflow.user': 'alice', 'mlflow.source.type': 'LOCAL' }, runName: 'run-one' })).info.runId;
  await c.logParam(r1, 'lr', 0.1);
  await c.logParam(r1, 'layers', 3);
  await c.logParam(r1, 'flag', true);
  await c.logParam(r1, 'name', 'ü 値');
  await c.logParam(r1, 'nested/key', 'v');
  const values = [0.5, 1e-5, NaN, Infinity, -0, 1e16, 123456789.125];
  for (let step = 0; step < values.length; step++) {
    await c.logMetric(r1, 'loss', values[step] as number, { timestamp: T + 2 + step, step });
  }
  await c.logMetric(r1, 'acc', 1.0, { timestamp: T + 3, step: 0 });
  await c.logBatch(r1, { metrics: [{ key: 'b', value: 2.5, timestamp: T + 3, step: 0 }], params: [{ key: 'p2', value: 'x' }], tags: [{ key: 't', value: 'v' }] });
  await c.setTag(r1, 'mlflow.note.content', 'multi\nline');
  if (major >= 2) {
    await c.logInputs(r1, [
      {
        dataset: { name: 'iris', digest: 'abc', sourceType: 'local', source: '{"uri": "x"}', schema: null, profile: null },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ]);
  }
  if (major >= 3) {
    const m = await c.createLoggedModel(e1, { name: 'model', sourceRunId: r1, params: { a: '1' }, tags: { k: 'v' } });
    await c.logMetric(r1, 'mm', 0.9, { timestamp: T + 5, step: 1, modelId: m.modelId });
    await c.finalizeLoggedModel(m.modelId, 'READY');
    await c.logOutputs(r1, [{ modelId: m.modelId, step: 0 }]);
  }
  await c.setTerminated(r1, undefined, T + 10);
  const r2 = (await c.createRun(e1, { startTime: T + 20, runName: 'run-two' })).info.runId;
  await c.deleteRun(r2);
  const r3 = (await c.createRun(e1, { startTime: T + 30, runName: 'run-three' })).info.runId;
  await c.deleteRun(r3);
  await c.restoreRun(r3);
  const e2 = await c.createExperiment('to-delete');
  const r4 = (await c.createRun(e2, { startTime: T + 40, runName: 'run-four' })).info.runId;
  await c.deleteExperiment(e2);
  const e3 = await c.createExperiment('renamed-from');
  await c.renameExperiment(e3, 'renamed-to');
  return { e1, r1, r2, r3, e2, r4, e3 };
}
