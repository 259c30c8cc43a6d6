/**
 * The public API documents itself: every export of the package's entry points (`mlruns`,
 * `mlruns/fluent`, `mlruns/models`, `mlruns/tfjs`, as package.json's `exports` map them) has a
 * TSDoc comment with an `@example`, and so has every public method of an exported class. The
 * entry points export what users need, not internals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** package.json's `exports`, mapped back from dist/*.js to src/*.ts. */
function entryPoints(): Array<[string, string]> {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, { import?: string }> };
  const out: Array<[string, string]> = [];
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (!target.import) continue;
    const src = path.join(REPO, target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    out.push([sub === '.' ? 'mlruns' : `mlruns/${sub.slice(2)}`, src]);
  }
  return out;
}

const program = ts.createProgram(
  entryPoints().map(([, f]) => f),
  { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, skipLibCheck: true, noEmit: true },
);
const checker = program.getTypeChecker();

function hasExample(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'example');
}

/** The doc-carrying declarations of a symbol (a variable's statement, each overload). */
function declarationsOf(sym: ts.Symbol): ts.Node[] {
  return (sym.declarations ?? []).map((d) => (ts.isVariableDeclaration(d) ? d.parent.parent : d));
}

function documented(sym: ts.Symbol): boolean {
  const decls = declarationsOf(sym);
  // An overloaded function is documented when one of its signatures is (TypeScript shows that one).
  return decls.length > 0 && decls.some(hasExample);
}

function where(sym: ts.Symbol): string {
  const d = sym.declarations?.[0];
  if (!d) return '?';
  const sf = d.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(d.getStart());
  return `${path.relative(REPO, sf.fileName)}:${line + 1}`;
}

interface Export {
  name: string;
  sym: ts.Symbol;
}

function exportsOf(file: string): Export[] {
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`not in the program: ${file}`);
  const mod = checker.getSymbolAtLocation(sf);
  if (!mod) throw new Error(`not a module: ${file}`);
  return checker.getExportsOfModule(mod).map((s) => ({
    name: s.name,
    sym: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s,
  }));
}

/**
 * A class method is documented by its own TSDoc, or, as editors show it, by the member of an
 * interface the class `implements` (FileStore's methods by TrackingStore's).
 */
function documentedMethod(cls: ts.Symbol, method: ts.Symbol): boolean {
  if (documented(method)) return true;
  for (const decl of cls.declarations ?? []) {
    if (!ts.isClassDeclaration(decl)) continue;
    for (const clause of decl.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
      for (const t of clause.types) {
        const member = checker.getTypeAtLocation(t).getProperty(method.name);
        if (member && documented(member)) return true;
      }
    }
  }
  return false;
}

/** Public methods of an exported class (own declarations, not inherited, not private/protected). */
function publicMethods(sym: ts.Symbol): ts.Symbol[] {
  if (!(sym.flags & ts.SymbolFlags.Class)) return [];
  const out: ts.Symbol[] = [];
  sym.members?.forEach((m) => {
    if (!(m.flags & ts.SymbolFlags.Method)) return;
    const decl = m.declarations?.[0];
    if (!decl || !ts.canHaveModifiers(decl)) return;
    const mods = ts.getModifiers(decl) ?? [];
    if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) return;
    if (m.name.startsWith('#')) return;
    out.push(m);
  });
  return out;
}

/** Implementation details that must not be reachable from an entry point. */
const INTERNALS = ['utcTimeCreated', 'readModelFolder', 'mlModelToDict', 'mlModelTagsDict', 'pythonJsonDumpsDefault'];

describe('TSDoc with an @example on every public export', () => {
  for (const [entry, file] of entryPoints()) {
    it(`${entry}: every export and every public method of its classes`, () => {
      const missing: string[] = [];
      const seen = new Set<ts.Symbol>();
      for (const { name, sym } of exportsOf(file)) {
        // `export * as mlflow` re-exports a documented module; its members are checked as mlruns/fluent.
        if (sym.flags & ts.SymbolFlags.ValueModule) continue;
        if (!documented(sym)) missing.push(`${entry}: ${name} (${where(sym)})`);
        if (seen.has(sym)) continue;
        seen.add(sym);
        for (const m of publicMethods(sym)) {
          if (!documentedMethod(sym, m)) missing.push(`${entry}: ${name}.${m.name} (${where(m)})`);
        }
      }
      expect(missing, `missing TSDoc with @example:\n${missing.join('\n')}`).toEqual([]);
    });

    it(`${entry}: exports no internals`, () => {
      const names = exportsOf(file).map((e) => e.name);
      expect(names.filter((n) => INTERNALS.includes(n))).toEqual([]);
    });
  }
});
