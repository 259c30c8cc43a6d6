/**
 * `mlruns models ...` (the built CLI, spawned as a user runs it) on a registry Python made:
 * listings equal what Python's MlflowClient returns, writes are seen by Python, errors are one
 * line with the documented exit codes. Until `modelsCommand` is in main.ts's COMMANDS, the
 * spawned entry adds it to the same `main()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, build, cleanEnv } from '../cli/helpers.js';
import { cleanup, LINEAR_ONNX_PY, py, tmpDir } from './helpers.js';

// Tests here run a dozen CLI and Python processes one after the other: over the 60 s default on a
// loaded 2-core machine (the full run at load 10-20). A hang guard, not a target.
vi.setConfig({ testTimeout: 180_000 });

let root: string;
let entry: string;
let runId: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function models(args: string[]): Result {
  const r = spawnSync(process.execPath, [entry, '--root', root, 'models', ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T = any>(args: string[]): T {
  const r = models([...args, '--json']);
  if (r.code !== 0) throw new Error(`models ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(() => {
  build();
  const dir = tmpDir();
  root = path.join(dir, 'mlruns');
  entry = path.join(path.dirname(BIN), 'models-entry.mjs');
  fs.writeFileSync(
    entry,
    `import { COMMANDS, main } from ${JSON.stringify(pathToFileURL(BIN).href)};
import { modelsCommand } from ${JSON.stringify(pathToFileURL(path.join(path.dirname(BIN), 'commands/models.js')).href)};
if (!COMMANDS.some((c) => c.name === 'models')) COMMANDS.push(modelsCommand);
process.exitCode = await main(process.argv);
`,
  );
  runId = py<string>(
    root,
    `${LINEAR_ONNX_PY}
client.create_registered_model('iris', tags={'team': 'ml'}, description='Iris classifier')
client.create_registered_model('iris-v2')
client.create_registered_model('churn')
with mlflow.start_run() as run:
    for i in range(3):
        mlflow.onnx.log_model(m, name=f'iris-{i}', registered_model_name='iris')
    mlflow.onnx.log_model(m, name='churn', registered_model_name='churn')
    mlflow.log_text('flavors: {}\\n', 'model/MLmodel')
client.set_registered_model_alias('iris', 'champion', '2')
client.transition_model_version_stage('iris', '1', 'Staging')
client.set_model_version_tag('iris', '3', 'validated', 'yes')
result = run.info.run_id
`,
  );
});

afterAll(() => cleanup());

describe('mlruns models', () => {
  it('list: the registered models Python made (JSON and table)', () => {
    const ours = json(['list']).registeredModels as any[];
    const theirs = py<any[]>(root, `result = [{'name': m.name, 'description': m.description, 'tags': m.tags, 'aliases': m.aliases} for m in client.search_registered_models(order_by=['name ASC'])]`);
    expect(ours.map((m) => ({ name: m.name, description: m.description, tags: m.tags, aliases: m.aliases }))).toEqual(theirs);
    const table = models([]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+LATEST\s+ALIASES\s+UPDATED\s+DESCRIPTION$/);
    expect(table.stdout).toMatch(/^iris\s+3\s+@champion→2\s.*Iris classifier$/m);
  });

  it('show and versions: versions newest first, with stages, aliases, tags, model ids', () => {
    const shown = json(['show', 'iris']);
    const theirs = py<any[]>(
      root,
      `result = sorted([{'version': str(v.version), 'stage': v.current_stage, 'aliases': list(v.aliases), 'tags': v.tags, 'model_id': v.model_id, 'source': v.source, 'run_id': v.run_id} for v in client.search_model_versions("name='iris'")], key=lambda v: -int(v['version']))`,
    );
    expect(shown.registeredModel.name).toBe('iris');
    expect(shown.registeredModel.aliases).toEqual({ champion: '2' });
    expect(
      (shown.versions as any[]).map((v) => ({ version: v.version, stage: v.currentStage, aliases: v.aliases, tags: v.tags, model_id: v.modelId, source: v.source, run_id: v.runId })),
    ).toEqual(theirs);
    expect(json(['versions', 'iris']).versions).toEqual(shown.versions);
    const human = models(['show', 'iris']);
    expect(human.stdout).toMatch(/^Description: Iris classifier$/m);
    expect(human.stdout).toMatch(/^Tags:\s+team=ml$/m);
    expect(human.stdout).toMatch(/^\s*1\s+Staging\s+READY/m);
    const versions = models(['versions', 'iris']);
    expect(versions.stdout.split('\n')[0]).toMatch(/^VERSION\s+STAGE\s+STATUS\s+ALIASES\s+RUN\s+MODEL ID\s+CREATED\s+SOURCE$/);
    expect(versions.stdout).toMatch(/^\s*2\s+None\s+READY\s+@champion\s/m);
  });

  it('register, alias set/delete and stage are seen by Python', () => {
    const reg = json(['register', `runs:/${runId}/model`, 'iris-v2', '--tag', 'origin=cli']).modelVersion;
    expect(reg.version).toBe('1');
    expect(json(['alias', 'set', 'iris', 'champion', '3'])).toEqual({ name: 'iris', alias: 'champion', version: '3' });
    expect(json(['alias', 'set', 'iris', 'backup', '1']).version).toBe('1');
    expect(json(['alias', 'delete', 'iris', 'backup'])).toEqual({ name: 'iris', alias: 'backup', deleted: true });
    expect(json(['stage', 'iris', '3', 'production']).modelVersion.currentStage).toBe('Production');
    expect(json(['stage', 'iris', '2', 'Production', '--archive-existing']).modelVersion.currentStage).toBe('Production');
    const res = py<any>(
      root,
      `mv = client.get_model_version('iris-v2', '1')
rm = client.get_registered_model('iris')
result = {'source': mv.source, 'tags': mv.tags, 'run_id': mv.run_id, 'aliases': rm.aliases,
          'stages': {str(v.version): v.current_stage for v in client.search_model_versions("name='iris'")},
          'champion': str(client.get_model_version_by_alias('iris', 'champion').version),
          'loaded': mlflow.onnx.load_model('models:/iris@champion').graph.name}
`,
    );
    expect(res.source).toBe(`file://${root}/${'0'}/${runId}/artifacts/model`);
    expect(res.tags).toEqual({ origin: 'cli' });
    expect(res.run_id).toBe(runId);
    expect(res.aliases).toEqual({ champion: '3' });
    expect(res.stages).toEqual({ '1': 'Staging', '2': 'Production', '3': 'Archived' });
    expect(res.champion).toBe('3');
    expect(res.loaded).toBe('linear');
    expect(models(['register', `runs:/${runId}/model`, 'iris-v2']).stdout).toBe("Registered 'runs:/" + runId + "/model' as version 2 of 'iris-v2'\n");
  });

  it('search: filter and order-by as Python; --versions', () => {
    const filter = "name LIKE 'iris%'";
    const ours = json(['search', '--filter', filter, '--order-by', 'name DESC']).registeredModels.map((m: any) => m.name);
    const theirs = py<string[]>(root, `result = [m.name for m in client.search_registered_models(filter_string=${JSON.stringify(filter)}, order_by=['name DESC'])]`);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(['iris-v2', 'iris']);
    const vs = json(['search', '--versions', '--filter', "tags.validated = 'yes'"]).modelVersions;
    expect(vs.map((v: any) => [v.name, v.version])).toEqual([['iris', '3']]);
    const table = models(['search', '--versions', '--filter', "name = 'churn'"]);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+STAGE/);
    expect(models(['search', '--filter', "name = 'nothing'"]).stdout).toBe('No registered models match\n');
  });

  it('errors: one line, MLflow messages, documented exit codes', () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['show', 'nope'], 2, /^mlruns: error: Registered Model with name=nope not found\n$/],
      [['versions', 'nope'], 2, /not found/],
      [['alias', 'set', 'iris', 'champion', '99'], 2, /version/i],
      [['alias', 'set', 'nope', 'champion', '1'], 2, /nope/],
      [['alias', 'delete', 'iris', 'nobody'], 2, /no alias 'nobody'/],
      [['alias', 'set', 'iris', 'latest', '1'], 1, /latest/],
      [['stage', 'iris', '1', 'Bogus'], 1, /Bogus/],
      [['stage', 'iris', '77', 'Staging'], 2, /77/],
      [['register', `runs:/${'0'.repeat(32)}/model`, 'x'], 2, /Run '0{32}' not found/],
      [['register', `runs:/${runId}/nothing-here`, 'x'], 1, /has no model at 'nothing-here'.*\(nothing was registered\)/],
      [['search', '--filter', 'name = '], 1, /invalid --filter/],
      [['search', '--order-by', 'bogus_column'], 1, /invalid --order-by/],
      [['bogus'], 1, /unknown command 'models bogus'/],
    ];
    for (const [args, code, re] of cases) {
      const r = models(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('mlruns: error:')), args.join(' ')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    const help = models(['alias', 'set', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n\s+\$ mlruns models alias set iris champion 3/);
    for (const sub of [[], ['list'], ['show'], ['versions'], ['register'], ['alias'], ['alias', 'delete'], ['stage'], ['search']]) {
      const h = models([...sub, '--help']);
      expect(h.code, sub.join(' ')).toBe(0);
      expect(h.stdout, sub.join(' ')).toMatch(/Examples:/);
    }
    const missingRoot = spawnSync(process.execPath, [entry, '--root', path.join(root, 'nope'), 'models'], { env: cleanEnv(), encoding: 'utf8' });
    expect(missingRoot.status).toBe(2);
  });
});
