// Bundles the browser app (ui/src) into dist/ui/static: app.js, app.css, index.html.
// Run by `npm run build`; the result ships in the npm package (no CDN, works offline).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../dist/ui/static');
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src/main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: path.join(out, 'app.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(here, 'src/index.html'), path.join(out, 'index.html'));
