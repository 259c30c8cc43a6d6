/**
 * How the built library loads better-sqlite3 (src/store/sqlite/native.ts): its JavaScript from
 * the one-file bundle the build makes for the installed version (scripts/bundle-sqlite.mjs), the
 * addon from the installed package; the package itself when no bundle of that version exists.
 * Either way a database opens, writes and reads the same.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, build, tmpDir } from '../cli/helpers.js';

const dist = path.resolve(path.dirname(BIN), '..');
let work: string;

beforeAll(() => {
  build();
  work = tmpDir('mlruns-native-');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Opens a database with the built library in a new process: what loaded, what it read back. */
function openInChild(distDir: string): { modules: string[]; rows: unknown[] } {
  const script = `
import { createRequire } from 'node:module';
const { openSqliteFile } = await import(${JSON.stringify(path.join(distDir, 'store/sqlite/native.js'))});
const db = openSqliteFile(${JSON.stringify(path.join(work, `${path.basename(distDir)}.db`))});
db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT, v REAL)');
db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 1.5);
const rows = db.prepare('SELECT k, v FROM t').all();
db.close();
const require = createRequire(import.meta.url);
console.log(JSON.stringify({ modules: Object.keys(require.cache).filter((k) => /better.sqlite3/.test(k) && !k.endsWith('.node')), rows }));
`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { modules: string[]; rows: unknown[] };
}

describe('better-sqlite3 in the built library', () => {
  it('loads the bundle of the installed version (one file) with the installed addon', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
    const bundle = path.join(dist, 'vendor', `better-sqlite3-${version}.cjs`);
    expect(fs.existsSync(bundle), 'npm run build makes the bundle').toBe(true);
    const { modules, rows } = openInChild(dist);
    expect(modules).toEqual([bundle]);
    expect(rows).toEqual([{ k: 'a', v: 1.5 }]);
  });

  it('loads the package itself when the bundle is not of the installed version', () => {
    const copy = path.join(path.dirname(dist), 'dist-no-bundle');
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(dist, copy, { recursive: true });
    for (const f of fs.readdirSync(path.join(copy, 'vendor'))) fs.renameSync(path.join(copy, 'vendor', f), path.join(copy, 'vendor', f.replace(/-[\d.]+\.cjs$/, '-0.0.0.cjs')));
    try {
      const { modules, rows } = openInChild(copy);
      expect(modules.some((m) => m.endsWith(path.join('better-sqlite3', 'lib', 'database.js')))).toBe(true);
      expect(modules.some((m) => m.includes(`${path.sep}vendor${path.sep}`))).toBe(false);
      expect(rows).toEqual([{ k: 'a', v: 1.5 }]);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
