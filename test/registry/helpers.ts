/**
 * Shared pieces of the registry tests: a base store (experiment, run with a model folder, 3.x
 * logged models) made by Python, one scenario of registry operations run identically by Python's
 * MlflowClient (oracle exec, clock pinned) and by ours, dumps and tree snapshots.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelVersion, RegisteredModel } from '../../src/entities.js';
import { FileStore } from '../../src/store/file/file-store.js';
import type { WriteProfile } from '../../src/store/file/records.js';
import { RegistryClient } from '../../src/tracking/registry.js';
import type { DumpedRegisteredModel, Oracle, OracleVersion } from '../oracle/oracle.js';
import { canonicalize, normalizeModelVersion, normalizeRegisteredModel } from '../oracle/normalize.js';

export const T = 1_717_000_000_000;

/** What the base store holds (ids written by Python). */
export interface Base {
  dir: string;
  root: string;
  experimentId: string;
  runId: string;
  /** 3.x: a logged model of the run, and one named `my-logged-model`. */
  modelId: string | null;
  namedModelId: string | null;
}

const tmpDirs: string[] = [];
export function tmpDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `mlruns-reg-${prefix}-`));
  tmpDirs.push(d);
  return d;
}
export function tmpDirsCreated(): string[] {
  return tmpDirs;
}

/** Python creates an experiment, a run whose artifacts hold `model/MLmodel`, and (3.x) logged models. */
export async function makeBase(py: Oracle): Promise<Base> {
  const dir = tmpDir(`base${py.version}`);
  const root = path.join(dir, 'mlruns');
  const res = await py.exec<{ e: string; r: string; m: string | null; n: string | null }>(
    root,
    String.raw`
e = client.create_experiment('registry-base')
r = client.create_run(e, run_name='model-run').info.run_id
client.log_text(r, 'flavors: {}\n', 'model/MLmodel')
client.log_text(r, 'x', 'other/file.txt')
client.set_terminated(r)
m = n = None
if int(mlflow.__version__.split('.')[0]) >= 3:
    m = client.create_logged_model(e, name='lm', source_run_id=r).model_id
    client.finalize_logged_model(m, 'READY')
    n = client.create_logged_model(e, name='my-logged-model', source_run_id=r).model_id
    client.finalize_logged_model(n, 'READY')
    import os
    for mid in (m, n):
        lm = client.get_logged_model(mid)
        p = lm.artifact_location.replace('file://', '')
        os.makedirs(p, exist_ok=True)
        open(os.path.join(p, 'MLmodel'), 'w').write('flavors: {}\n')
result = {'e': e, 'r': r, 'm': m, 'n': n}
`,
  );
  return { dir, root, experimentId: res.e, runId: res.r, modelId: res.m, namedModelId: res.n };
}

/** A copy of the base store (same ids; artifact locations keep pointing into the base). */
export function copyBase(base: Base, label: string): string {
  const d = tmpDir(label);
  const root = path.join(d, 'mlruns');
  cpSync(base.root, root, { recursive: true });
  return root;
}

export type Op = [string, ...unknown[]];

/**
 * The scenario: every registry operation, with `{run}`, `{base}`, `{model}`, `{named}` placeholders.
 * MLflow 2.x lacks logged models, so the 3.x-only steps are left out for it.
 */
export function scenario(version: OracleVersion): Op[] {
  const ops: Op[] = [
    ['create_rm', 'fixture-model', { team: 'ml', 'ünï': '✓', 'nested/key': 'x' }, 'The first model.'],
    ['create_mv', 'fixture-model', '{base}/art/model-1', { run_id: '{run}', tags: { v: '1' }, description: 'version 1' }],
    ['create_mv', 'fixture-model', 'runs:/{run}/model', { run_id: '{run}', run_link: 'http://host/run', tags: { v: 2 } }],
    ['create_mv', 'fixture-model', '{base}/art/model-3', { description: 'version 3' }],
    ['create_mv', 'fixture-model', 'models:/fixture-model/1', {}],
    ['create_mv', 'fixture-model', '{base}/art/model-5', { tags: { a: 'x', b: 'y' } }],
    ['set_mv_tag', 'fixture-model', '1', 'validated', true],
    ['set_mv_tag', 'fixture-model', '1', 'nested/tag', 'x'],
    ['del_mv_tag', 'fixture-model', '1', 'nested/tag'],
    ['del_mv_tag', 'fixture-model', '1', 'never-set'],
    ['transition', 'fixture-model', '1', 'staging', false],
    ['transition', 'fixture-model', '2', 'Production', false],
    ['transition', 'fixture-model', '4', 'PRODUCTION', false],
    ['transition', 'fixture-model', '3', 'production', true],
    ['transition', 'fixture-model', '5', 'Archived', false],
    ['set_alias', 'fixture-model', 'champion', '3'],
    ['set_alias', 'fixture-model', 'challenger', '1'],
    ['set_alias', 'fixture-model', 'doomed', '5'],
    ['set_alias', 'fixture-model', 'moved', '1'],
    ['set_alias', 'fixture-model', 'moved', '2'],
    ['delete_mv', 'fixture-model', '5'],
    ['update_mv', 'fixture-model', '2', 'updated v2'],
    ['update_rm', 'fixture-model', 'The first model, updated.'],
    ['set_rm_tag', 'fixture-model', 'extra', 'y'],
    ['set_rm_tag', 'fixture-model', 'team', 'ml-2'],
    ['del_rm_tag', 'fixture-model', 'extra'],
    ['del_rm_tag', 'fixture-model', 'missing'],
    ['del_alias', 'fixture-model', 'moved'],
    ['del_alias', 'fixture-model', 'missing'],
    ['create_rm', 'second-model', { a: '1' }, 'The second model.'],
    ['create_mv', 'second-model', '{base}/art/s1', {}],
    ['create_mv', 'second-model', '{base}/art/s2', {}],
    ['create_mv', 'second-model', '{base}/art/s3', {}],
    ['delete_mv', 'second-model', '3'],
    ['set_alias', 'second-model', 'champion', '2'],
    ['update_mv', 'second-model', '2', 'updated description'],
    ['rename', 'second-model', 'renamed-model'],
    ['create_mv', 'renamed-model', '{base}/art/s4', {}],
    ['create_rm', 'to-delete', {}, null],
    ['create_mv', 'to-delete', '{base}/art/d1', {}],
    ['delete_rm', 'to-delete'],
    ['create_rm', 'empty-model', {}, null],
    ['create_rm', 'zeta model ü', { 'k k': 'multi\nline' }, 'unicode ✓ and: colon'],
    ['create_mv', 'zeta model ü', '{base}/art/z1', { description: "it's 'quoted'" }],
    ['register', 'runs:/{run}/model', 'registered-from-run', { k: 'v' }],
    ['register', 'runs:/{run}/model', 'registered-from-run', {}],
    ['register', '{base}/art/plain', 'registered-from-path', {}],
  ];
  if (version === '3') {
    ops.push(
      ['register', 'models:/{model}', 'logged-model-registry', {}],
      ['register', 'runs:/{run}/my-logged-model', 'via-logged-model', {}],
      ['create_mv', 'logged-model-registry', 'models:/{model}', { model_id: '{model}' }],
      ['register', 'models:/logged-model-registry/1', 'from-version', {}],
    );
  }
  return ops;
}

export function substitute<T>(x: T, base: Base): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v
        .split('{run}').join(base.runId)
        .split('{base}').join(base.root)
        .split('{model}').join(base.modelId ?? '')
        .split('{named}').join(base.namedModelId ?? '');
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, y]) => [walk(k) as string, walk(y)]));
    return v;
  };
  return walk(x) as T;
}

/** Python code interpreting `vars['ops']` with the registry clock pinned (T+1, T+2, … per reading). */
export const PY_OPS = String.raw`
import mlflow.store.model_registry.file_store as _rfs
_orig = _rfs.get_current_time_millis
_count = [0]
def _clock():
    _count[0] += 1
    return vars['T'] + _count[0]
_rfs.get_current_time_millis = _clock
try:
    for op in vars['ops']:
        kind, a = op[0], op[1:]
        if kind == 'create_rm':
            client.create_registered_model(a[0], tags=a[1], description=a[2])
        elif kind == 'create_mv':
            o = a[2]
            client.create_model_version(a[0], a[1], run_id=o.get('run_id'), tags=o.get('tags'), run_link=o.get('run_link'), description=o.get('description'), **({'model_id': o['model_id']} if 'model_id' in o else {}))
        elif kind == 'register':
            mlflow.register_model(a[0], a[1], tags=a[2] or None)
        elif kind == 'update_rm':
            client.update_registered_model(a[0], a[1])
        elif kind == 'rename':
            client.rename_registered_model(a[0], a[1])
        elif kind == 'delete_rm':
            client.delete_registered_model(a[0])
        elif kind == 'set_rm_tag':
            client.set_registered_model_tag(a[0], a[1], a[2])
        elif kind == 'del_rm_tag':
            client.delete_registered_model_tag(a[0], a[1])
        elif kind == 'update_mv':
            client.update_model_version(a[0], a[1], a[2])
        elif kind == 'transition':
            client.transition_model_version_stage(a[0], a[1], a[2], archive_existing_versions=a[3])
        elif kind == 'delete_mv':
            client.delete_model_version(a[0], a[1])
        elif kind == 'set_mv_tag':
            client.set_model_version_tag(a[0], a[1], a[2], a[3])
        elif kind == 'del_mv_tag':
            client.delete_model_version_tag(a[0], a[1], a[2])
        elif kind == 'set_alias':
            client.set_registered_model_alias(a[0], a[1], a[2])
        elif kind == 'del_alias':
            client.delete_registered_model_alias(a[0], a[1])
        else:
            raise ValueError(kind)
finally:
    _rfs.get_current_time_millis = _orig
result = _count[0]
`;

/** A clock like the pinned Python one: T+1, T+2, … */
export function counterClock(): { now: () => number; count: () => number } {
  let n = 0;
  return { now: () => T + ++n, count: () => n };
}

export function ourClient(root: string, profile: WriteProfile, now?: () => number): RegistryClient {
  return new RegistryClient(root, { profile, ...(now ? { now } : {}), trackingStore: new FileStore(root, { profile }) });
}

/** Runs the scenario with our RegistryClient. */
export async function runOurOps(client: RegistryClient, ops: Op[]): Promise<void> {
  for (const op of ops) {
    const [kind, ...a] = op;
    const s = (i: number): string => a[i] as string;
    switch (kind) {
      case 'create_rm':
        await client.createRegisteredModel(s(0), { tags: a[1] as Record<string, unknown>, description: a[2] as string | null });
        break;
      case 'create_mv': {
        const o = a[2] as Record<string, unknown>;
        await client.createModelVersion(s(0), s(1), {
          runId: (o['run_id'] as string) ?? null,
          tags: (o['tags'] as Record<string, unknown>) ?? null,
          runLink: (o['run_link'] as string) ?? null,
          description: (o['description'] as string) ?? null,
          modelId: (o['model_id'] as string) ?? null,
        });
        break;
      }
      case 'register':
        await client.registerModel(s(0), s(1), { tags: a[2] as Record<string, unknown> });
        break;
      case 'update_rm':
        await client.updateRegisteredModel(s(0), { description: a[1] as string });
        break;
      case 'rename':
        await client.renameRegisteredModel(s(0), s(1));
        break;
      case 'delete_rm':
        await client.deleteRegisteredModel(s(0));
        break;
      case 'set_rm_tag':
        await client.setRegisteredModelTag(s(0), s(1), a[2]);
        break;
      case 'del_rm_tag':
        await client.deleteRegisteredModelTag(s(0), s(1));
        break;
      case 'update_mv':
        await client.updateModelVersion(s(0), s(1), { description: a[2] as string });
        break;
      case 'transition':
        await client.transitionModelVersionStage(s(0), s(1), s(2), { archiveExistingVersions: a[3] as boolean });
        break;
      case 'delete_mv':
        await client.deleteModelVersion(s(0), s(1));
        break;
      case 'set_mv_tag':
        await client.setModelVersionTag(s(0), s(1), s(2), a[3]);
        break;
      case 'del_mv_tag':
        await client.deleteModelVersionTag(s(0), s(1), s(2));
        break;
      case 'set_alias':
        await client.setRegisteredModelAlias(s(0), s(1), s(2));
        break;
      case 'del_alias':
        await client.deleteRegisteredModelAlias(s(0), s(1));
        break;
      default:
        throw new Error(`unknown op ${kind}`);
    }
  }
}

/** The registry part of the oracle's dump, made with our client. */
export async function ourRegistryDump(client: RegistryClient): Promise<DumpedRegisteredModel[]> {
  const models: RegisteredModel[] = [];
  let token: string | null = null;
  do {
    const page: { registeredModels: RegisteredModel[]; token: string | null } = await client.searchRegisteredModels({
      maxResults: 1000,
      pageToken: token,
    });
    models.push(...page.registeredModels);
    token = page.token;
  } while (token);
  const out: DumpedRegisteredModel[] = [];
  for (const m of models) {
    const escaped = m.name.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    const versions: ModelVersion[] = [];
    let t: string | null = null;
    do {
      const page: { modelVersions: ModelVersion[]; token: string | null } = await client.searchModelVersions({
        filterString: `name='${escaped}'`,
        pageToken: t,
      });
      versions.push(...page.modelVersions);
      t = page.token;
    } while (t);
    versions.sort((a, b) => Number(a.version) - Number(b.version));
    out.push({ ...m, versions });
  }
  return out;
}

/** Registry dump normalized as `normalizeDump` does (sorted, canonical, roots replaced). */
export function normalizeRegistry(models: DumpedRegisteredModel[], version: OracleVersion): unknown {
  return canonicalize(
    models
      .map((m) => ({
        ...normalizeRegisteredModel(m, version),
        versions: Array.isArray(m.versions) ? m.versions.map((v) => normalizeModelVersion(v, version)) : m.versions,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  );
}

/** Every file below `dir`: relative POSIX path → content (for byte and "nothing changed" checks). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(abs).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      const p = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) {
        out[`${r}/`] = '<dir>';
        walk(p, r);
      } else out[r] = readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}
