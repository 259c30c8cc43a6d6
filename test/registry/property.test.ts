/**
 * Property: any sequence of registry operations (valid or not: unknown models and versions,
 * reserved aliases, invalid stages, renames onto taken names, deletes...) run by Python's
 * MlflowClient and by ours on copies of one store, with the registry clock pinned, gives the
 * same error (code and message) for every operation, the same number of clock readings, and
 * byte-identical registry files. fast-check generates the sequences (MLflow 3.17 and 2.22).
 */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import type { RegistryClient } from '../../src/tracking/registry.js';
import { Oracle } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import { T, copyBase, counterClock, makeBase, ourClient, runOurOps, snapshot, substitute, tmpDir, tmpDirsCreated, type Base, type Op } from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

const PY_TOLERANT = String.raw`
import os
import mlflow.store.model_registry.file_store as _rfs
from mlflow.entities.model_registry.model_version_stages import get_canonical_stage
_orig = _rfs.get_current_time_millis
_count = [0]
def _clock():
    _count[0] += 1
    return vars['T'] + _count[0]
_rfs.get_current_time_millis = _clock
def has_version_tags(name):
    d = os.path.join(root, 'models', name)
    if not os.path.isdir(d):
        return False
    for v in os.listdir(d):
        t = os.path.join(d, v, 'tags')
        if v.startswith('version-') and os.path.isdir(t) and any(fs for _, _, fs in os.walk(t)):
            return True
    return False
out = []
try:
    for op in vars['ops']:
        kind, a = op[0], op[1:]
        try:
            if kind == 'create_rm':
                client.create_registered_model(a[0], tags=a[1], description=a[2])
            elif kind == 'create_mv':
                client.create_model_version(a[0], a[1], tags=a[2].get('tags'), description=a[2].get('description'))
            elif kind == 'register':
                mlflow.register_model(a[0], a[1])
            elif kind == 'update_rm':
                client.update_registered_model(a[0], a[1])
            elif kind == 'rename':
                if has_version_tags(a[0]):
                    out.append('skipped')
                    continue
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
                if a[3]:
                    # MLflow archives the other versions before it looks the version up; check first
                    # (as mlruns does), reading the clock as the transition would have.
                    client.get_registered_model(a[0])
                    is_active = get_canonical_stage(a[2]) in ('Staging', 'Production')
                    if is_active:
                        try:
                            client.get_model_version(a[0], a[1])
                        except Exception:
                            _clock()
                            raise
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
            out.append(None)
        except MlflowException as e:
            out.append([e.error_code, e.message])
finally:
    _rfs.get_current_time_millis = _orig
result = {'count': _count[0], 'errors': out}
`;

function hasVersionTags(root: string, name: string): boolean {
  const d = path.join(root, 'models', name);
  if (!existsSync(d)) return false;
  return readdirSync(d).some((v) => {
    const t = path.join(d, v, 'tags');
    return v.startsWith('version-') && existsSync(t) && readdirSync(t, { recursive: true, withFileTypes: true }).some((e) => e.isFile());
  });
}

async function runOurTolerant(client: RegistryClient, root: string, ops: Op[]): Promise<Array<null | 'skipped' | [string, string]>> {
  const out: Array<null | 'skipped' | [string, string]> = [];
  for (const op of ops) {
    if (op[0] === 'rename' && hasVersionTags(root, op[1] as string)) {
      out.push('skipped');
      continue;
    }
    try {
      await runOurOps(client, [op]);
      out.push(null);
    } catch (e) {
      if (!(e instanceof MlflowError)) throw e;
      out.push([e.code, e.message]);
    }
  }
  return out;
}

const NAMES = ['A', 'B', 'C'];
const name = fc.constantFrom(...NAMES);
const version = fc.constantFrom('1', '2', '3', '4');
const tagKey = fc.constantFrom('a', 'b/c', 'ü');
const tagValue = fc.constantFrom('x', '', 'multi\nline', '1');
const opArbFor = (v: '3' | '2'): fc.Arbitrary<Op> => fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant('create_rm'), name, fc.dictionary(tagKey, tagValue, { maxKeys: 2 }), fc.constantFrom(null, 'desc')) },
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.constant('create_mv'),
      fc.constantFrom('A', 'B', 'C', 'Z'),
      fc.constantFrom('{base}/art/x', 'runs:/{run}/model', 'models:/A/1', 'models:/B/latest'),
      fc.record({ tags: fc.option(fc.dictionary(tagKey, tagValue, { maxKeys: 2 }), { nil: undefined }), description: fc.option(fc.constant('d'), { nil: undefined }) }, { requiredKeys: [] }),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constant('register'), fc.constantFrom('{base}/art/r', 'runs:/{run}/model'), name) },
  // 2.x refuses a None description (3.x sets it to null): only 3.x gets null.
  { weight: 1, arbitrary: fc.tuple(fc.constant('update_rm'), name, v === '3' ? fc.constantFrom('new', null) : fc.constant('new')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('rename'), name, fc.constantFrom('A', 'B', 'C', 'D')) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('delete_rm'), name) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('set_rm_tag'), name, tagKey, tagValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('del_rm_tag'), name, tagKey) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('update_mv'), name, version, fc.constantFrom('v-desc')) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.constant('transition'), name, version, fc.constantFrom('staging', 'Production', 'ARCHIVED', 'None', 'bogus'), fc.boolean()),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constant('delete_mv'), name, version) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('set_mv_tag'), name, version, tagKey, tagValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('del_mv_tag'), name, version, tagKey) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('set_alias'), name, fc.constantFrom('champ', 'chall', 'latest', 'v2'), version) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('del_alias'), name, fc.constantFrom('champ', 'chall')) },
) as fc.Arbitrary<Op>;

describe.each(['3', '2'] as const)('random operation sequences, MLflow %s', (v) => {
  let py: Oracle;
  let base: Base;
  let empty: string;

  beforeAll(async () => {
    py = await Oracle.start(v);
    base = await makeBase(py);
    empty = copyBase(base, `prop${v}`);
  });
  afterAll(async () => {
    await py?.close();
  });

  it('same errors, same clock readings, byte-identical files', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArbFor(v), { minLength: 5, maxLength: 30 }), async (rawOps) => {
        runs++;
        const ops = substitute(rawOps, base);
        const pyRoot = path.join(tmpDir('ppy'), 'mlruns');
        const ourRoot = path.join(tmpDir('pours'), 'mlruns');
        cpSync(empty, pyRoot, { recursive: true });
        cpSync(empty, ourRoot, { recursive: true });
        const theirs = await py.exec<{ count: number; errors: unknown[] }>(pyRoot, PY_TOLERANT, { ops, T });
        const clock = counterClock();
        const ours = await runOurTolerant(ourClient(ourRoot, v === '3' ? 'mlflow3' : 'compat', clock.now), ourRoot, ops);
        const diffs = ours.flatMap((o, i) => {
          const t = theirs.errors[i];
          if (JSON.stringify(o) === JSON.stringify(t)) return [];
          // 2.x checks reserved alias names before it looks the model up (3.x after): both fail.
          if (v === '2' && ops[i]![0] === 'set_alias' && Array.isArray(o) && Array.isArray(t)) return [];
          return [{ op: ops[i], ours: o, theirs: t }];
        });
        expect(diffs).toEqual([]);
        expect(clock.count()).toBe(theirs.count);
        expect(diffValues(snapshot(path.join(ourRoot, 'models')), snapshot(path.join(pyRoot, 'models')))).toEqual([]);
        rmSync(path.dirname(pyRoot), { recursive: true, force: true });
        rmSync(path.dirname(ourRoot), { recursive: true, force: true });
      }),
      { numRuns: Number(process.env['REGISTRY_PROP_RUNS'] ?? 30), endOnFailure: true },
    );
    expect(runs).toBeGreaterThanOrEqual(Math.min(30, Number(process.env['REGISTRY_PROP_RUNS'] ?? 30)));
  }, 300_000);
});
