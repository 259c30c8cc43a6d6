// Shared by the reliability tests (vitest) and scripts/soak.mjs: a runnable copy of src/ for child
// processes. Each src/**/*.ts file (tests excluded) is transpiled alone with TypeScript's
// transpileModule (the project uses isolatedModules + verbatimModuleSyntax, so that is exact), into
// node_modules/.cache/mlruns-reliability-<hash of the sources>/, so Node resolves dependencies
// from the repo's node_modules. Concurrent builders race safely: each writes a private folder and
// renames it into place; the loser drops its copy.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WORKERS = path.join(REPO_ROOT, 'test', 'reliability', 'workers');

function sources(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

let built;

/** Absolute folder holding the transpiled library (`<dir>/tracking/client.js`, ...). */
export function buildLib() {
  if (built && fs.existsSync(built)) return built;
  const srcDir = path.join(REPO_ROOT, 'src');
  const files = sources(srcDir).sort();
  const hash = crypto.createHash('sha256');
  const texts = new Map();
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    texts.set(f, text);
    hash.update(path.relative(srcDir, f)).update('\0').update(text).update('\0');
  }
  const out = path.join(REPO_ROOT, 'node_modules', '.cache', `mlruns-reliability-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(path.join(out, 'tracking', 'client.js'))) return (built = out);
  const ts = createRequire(import.meta.url)('typescript');
  const tmp = `${out}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  for (const f of files) {
    const rel = path.relative(srcDir, f).replace(/\.ts$/, '.js');
    const res = ts.transpileModule(texts.get(f), {
      fileName: f,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        sourceMap: false,
      },
    });
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), res.outputText);
  }
  fs.writeFileSync(path.join(tmp, 'package.json'), '{"type":"module"}\n');
  try {
    fs.renameSync(tmp, out);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another process won the race
  }
  // Old copies (other source hashes) are left for at most a day.
  const cache = path.dirname(out);
  for (const name of fs.readdirSync(cache)) {
    const p = path.join(cache, name);
    if (!name.startsWith('mlruns-reliability-') || p === out) continue;
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > 86_400_000) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* another process cleans it */
    }
  }
  return (built = out);
}

/** `file:` URL of a module of the transpiled library, e.g. `libUrl('tracking/client.js')`. */
export function libUrl(rel) {
  return pathToFileURL(path.join(buildLib(), rel)).href;
}

/** The oracle's Python 3.x (MLflow 3.17), as test/oracle/oracle.ts finds it. */
export function pythonPath(version = '3') {
  const dir = process.env.MLRUNS_ORACLE_DIR ?? path.join(REPO_ROOT, '.oracle');
  return path.join(dir, `mlflow-${version}`, 'bin', 'python');
}

/** Environment for MLflow children: no inherited MLFLOW_* settings, file store allowed. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('MLFLOW_')) env[k] = v;
  return { ...env, MLFLOW_ALLOW_FILE_STORE: 'true', PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', GIT_PYTHON_REFRESH: 'quiet', ...extra };
}
