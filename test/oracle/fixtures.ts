/**
 * The stores under fixtures/mlflow-<version>/ (written by real MLflow, see fixtures/README.md).
 *
 * Always work on a copy ({@link copyFixture}): MLflow (and our library) may write into a store
 * just by opening it, and git drops the empty directories MLflow relies on (3.x refuses to find
 * a run whose `metrics/`, `params/` or `artifacts/` folder is missing), which the copy recreates.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFloats, type Dump, type OracleVersion } from './oracle.js';

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
/** Where scripts/gen-fixtures.sh generated the stores: artifact URIs in the fixtures point there. */
export const GENERATED_ROOT_PARENT = '/tmp/mlruns-fixtures';

export interface Fixture {
  /** Folder name, e.g. `mlflow-3.17.2`. */
  name: string;
  /** Full MLflow version that wrote it, e.g. `3.17.2`. */
  mlflowVersion: string;
  oracleVersion: OracleVersion;
  /** fixtures/mlflow-<version> */
  dir: string;
  /** fixtures/mlflow-<version>/mlruns (read-only: use {@link copyFixture}) */
  mlruns: string;
  /** The absolute root the store was generated at (prefix of its artifact URIs). */
  generatedRoot: string;
}

/** names -> ids of what scripts/gen_fixtures.py created (fixtures/<name>/manifest.json). */
export interface FixtureManifest {
  mlflowVersion: string;
  /** experiment label -> id: Default, fixture-experiment, unicode-named, renamed-experiment, ... */
  experiments: Record<string, string>;
  /** run name -> run id: params-metrics-tags, failed-run, running-run, parent, child-1, ... */
  runs: Record<string, string>;
  /** 3.x: label -> logged model id */
  loggedModels: Record<string, string>;
  /** 2.x/3.x: registered model name -> notes */
  registry: Record<string, { versions: number; deleted?: string[]; renamedFrom?: string; modelId?: string }>;
}

export function listFixtures(): Fixture[] {
  if (!existsSync(FIXTURES_DIR)) return [];
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^mlflow-\d+\.\d+\.\d+/.test(d.name))
    .map((d) => {
      const mlflowVersion = d.name.slice('mlflow-'.length);
      const dir = path.join(FIXTURES_DIR, d.name);
      return {
        name: d.name,
        mlflowVersion,
        oracleVersion: mlflowVersion.split('.')[0] as OracleVersion,
        dir,
        mlruns: path.join(dir, 'mlruns'),
        generatedRoot: path.join(GENERATED_ROOT_PARENT, d.name, 'mlruns'),
      };
    })
    .sort((a, b) => b.name.localeCompare(a.name, 'en', { numeric: true }));
}

/** The fixture written by the given oracle version. */
export function fixtureFor(version: OracleVersion): Fixture {
  const f = listFixtures().find((x) => x.oracleVersion === version);
  if (!f) throw new Error(`no fixture for MLflow ${version}.x under ${FIXTURES_DIR} (run bash scripts/gen-fixtures.sh)`);
  return f;
}

/** expected.json: the oracle's dump of the fixture by the MLflow version that wrote it (floats decoded). */
export function loadExpected(f: Fixture): Dump {
  return decodeFloats(JSON.parse(readFileSync(path.join(f.dir, 'expected.json'), 'utf8')) as Dump);
}

export function loadManifest(f: Fixture): FixtureManifest {
  return JSON.parse(readFileSync(path.join(f.dir, 'manifest.json'), 'utf8')) as FixtureManifest;
}

/**
 * Copies the fixture's store to `dest` (default: a fresh temp dir) and recreates its empty
 * directories; returns the absolute path of the copied `mlruns` root.
 */
export function copyFixture(f: Fixture, dest?: string): string {
  const base = dest ?? mkdtempSync(path.join(os.tmpdir(), `mlruns-${f.name}-`));
  const root = path.join(base, 'mlruns');
  cpSync(f.mlruns, root, { recursive: true });
  const emptyDirs = path.join(f.dir, 'empty-dirs.txt');
  if (existsSync(emptyDirs)) {
    for (const rel of readFileSync(emptyDirs, 'utf8').split('\n')) {
      if (rel.trim()) mkdirSync(path.join(root, rel), { recursive: true });
    }
  }
  return root;
}
