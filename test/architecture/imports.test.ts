/**
 * The import graph of `src/`: no cycle, and no import up the layers of DESIGN.md
 * (format < search < store < catalog < watch, git < tracking < models < ui, serve < cli; the
 * package barrel `src/index.ts` and the demo on top). Reads every .ts file's static
 * `import ... from` / `export ... from` statements (type-only ones too: a type import up the
 * layers is a dependency all the same) and dynamic `import('...')` of relative paths.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * Layers, lowest first. A folder of `src/` belongs to the layer naming it (`store/sqlite`,
 * `store/rest`, a `store/sync` are the store layer); files directly in `src/` are the base
 * (`errors.ts`, `entities.ts`), except the barrel `index.ts` at the top. Folders in one layer
 * (watch and git; ui and serve) do not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['<base>'],
  ['format'],
  ['search'],
  ['store'],
  ['catalog'],
  ['watch', 'git'],
  ['tracking'],
  ['sync'],
  ['models'],
  ['ui', 'serve'],
  ['cli'],
  ['demo', '<barrel>'],
];

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The layer group of a file: its first folder under src/, or `<base>` / `<barrel>`. */
function groupOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length === 1) return rel[0] === 'index.ts' ? '<barrel>' : '<base>';
  return rel[0] as string;
}

function rankOf(group: string): number {
  const i = LAYERS.findIndex((l) => l.includes(group));
  if (i < 0) throw new Error(`src/${group}/ is in no layer of test/architecture/imports.test.ts: add it to LAYERS`);
  return i;
}

/** Relative specifiers a file imports (static imports, re-exports, dynamic imports). */
export function importsOf(text: string): string[] {
  // Comments out first (examples in TSDoc hold import statements).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const re = /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const spec = m[1] ?? m[2];
    if (spec && spec.startsWith('.')) specs.push(spec);
  }
  return specs;
}

function resolveSpec(from: string, spec: string): string {
  const p = path.resolve(path.dirname(from), spec);
  const ts = p.replace(/\.js$/, '.ts');
  if (fs.existsSync(ts)) return ts;
  if (fs.existsSync(path.join(p, 'index.ts'))) return path.join(p, 'index.ts');
  throw new Error(`${path.relative(SRC, from)} imports '${spec}', which is no file of src/`);
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of listTs(SRC)) {
    if (f.endsWith('.test.ts')) continue;
    g.set(f, importsOf(fs.readFileSync(f, 'utf8')).map((s) => resolveSpec(f, s)).filter((t) => !t.endsWith('.test.ts')));
  }
  return g;
}

/** Every cycle's files (one per strongly connected component with more than one file, or a self-import). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.map((f) => path.relative(SRC, f)).sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('the import graph of src/', () => {
  const g = graph();

  it('reads the imports it checks', () => {
    expect(importsOf("import { a } from './a.js';\nimport type { B } from '../b.js';\nexport * from './c.js';\nconst m = await import('./d.js');")).toEqual([
      './a.js',
      '../b.js',
      './c.js',
      './d.js',
    ]);
    expect(importsOf("/** import { x } from './doc.js'; */\n// import './gone.js';\nimport fs from 'node:fs';")).toEqual([]);
    expect(g.size).toBeGreaterThan(50);
    expect(g.get(path.join(SRC, 'store/file/file-store.ts'))).toContain(path.join(SRC, 'store/file/layout.ts'));
  });

  it('has no import cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('imports only down the layers of DESIGN.md', () => {
    const upward: string[] = [];
    for (const [from, targets] of g) {
      const fg = groupOf(from);
      for (const to of targets) {
        const tg = groupOf(to);
        if (tg === fg) continue;
        if (rankOf(tg) >= rankOf(fg)) upward.push(`${path.relative(SRC, from)} (${fg}) -> ${path.relative(SRC, to)} (${tg})`);
      }
    }
    expect(upward).toEqual([]);
  });
});
