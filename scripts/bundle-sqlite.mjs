// Bundles better-sqlite3's JavaScript (lib/*.js: the Database and Statement wrappers around its
// native addon) into one file, dist/vendor/better-sqlite3-<version>.cjs. Run by `npm run build`.
//
// Why: a fresh process that opens its first SQLite file (a catalog query from a new `node`)
// spent ~8 ms requiring those fifteen small files, a quarter of the query. One file takes ~4 ms.
// The native addon is not bundled: src/store/sqlite/native.ts loads the bundle only when the
// installed better-sqlite3 has the same version (the JS and its addon go together) and its addon
// is where its build puts it, and falls back to `require('better-sqlite3')` otherwise.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const pkgFile = require.resolve('better-sqlite3/package.json');
const { version, license } = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
const out = path.join(root, 'dist', 'vendor');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(path.dirname(pkgFile), 'lib', 'index.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Only used when no addon path is given, which the bundle never is.
  external: ['bindings'],
  outfile: path.join(out, `better-sqlite3-${version}.cjs`),
  banner: { js: `/* better-sqlite3 ${version} (${license}, https://github.com/WiseLibs/better-sqlite3): lib/*.js bundled by scripts/bundle-sqlite.mjs */` },
  legalComments: 'inline',
  logLevel: 'warning',
});
