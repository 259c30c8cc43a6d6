/**
 * `mlruns doctor`: reports what would break Python MLflow on the root (foreign paths, damaged
 * metas, stray files, duplicate experiments...), and with `--fix` lists every change of the safe
 * repairs, then applies them with `--yes` (or after a confirmation on a terminal).
 *
 * Exit codes: 0 when clean (nothing worse than info), 4 when findings remain, 1 for usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { diagnose, fix, isClean, planFix, quarantineDirFor } from '../../git/doctor.js';
import type { Change, Finding } from '../../git/doctor.js';
import { CliError, Ctx, EXIT } from '../context.js';
import { cell, print, renderTable, toJson } from '../output.js';
import type { Style } from '../output.js';
import type { CommandModule } from './module.js';

interface DoctorOptions {
  fix?: boolean;
  yes?: boolean;
  json?: boolean;
  summary?: boolean;
  all?: boolean;
}

function findingJson(root: string, f: Finding): Record<string, unknown> {
  return {
    kind: f.kind,
    severity: f.severity,
    path: path.relative(root, f.path) || '.',
    message: f.message,
    fix: f.fix ? f.fix.action : null,
  };
}

function changeJson(root: string, c: Change): Record<string, unknown> {
  const rel = (p: string): string => path.relative(root, p) || '.';
  switch (c.op) {
    case 'write-meta':
      return { op: c.op, path: rel(c.path), set: c.set, description: c.description };
    case 'mkdir':
      return { op: c.op, path: rel(c.path), description: c.description };
    case 'move':
    case 'copy-file':
      return { op: c.op, from: rel(c.from), to: c.to.startsWith(root + path.sep) ? rel(c.to) : c.to, description: c.description };
  }
}

/** How the findings are shown: every one (`all`), a few examples per kind (default), or counts only. */
export type FindingsView = 'all' | 'grouped' | 'summary';

/** Examples shown per kind before the rest are collapsed. */
export const EXAMPLES_PER_KIND = 3;

const SEVERITY_ORDER = ['error', 'warning', 'info'] as const;

/**
 * The findings grouped by kind (worst severity first, then most frequent): a line per kind with
 * its count, severity and what `--fix` does, then a few examples (all with `all`, none with
 * `summary`), and a total line.
 *
 * @example
 * ```ts
 * print(renderFindings(root, diagnose(root), new Style(false)));
 * ```
 */
export function renderFindings(root: string, findings: readonly Finding[], s: Style, view: FindingsView = 'grouped'): string {
  if (findings.length === 0) return `${s.green('No problems found')} in ${root}\n`;
  const sev = (v: string): string => (v === 'error' ? s.red(v) : v === 'warning' ? s.yellow(v) : s.dim(v));
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.severity}\0${f.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const ordered = [...groups.values()].sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf((a[0] as Finding).severity) - SEVERITY_ORDER.indexOf((b[0] as Finding).severity) || b.length - a.length,
  );
  const out: string[] = [];
  const rows = ordered.map((g) => {
    const f = g[0] as Finding;
    const fixable = g.filter((x) => x.fix).length;
    return [sev(f.severity), s.bold(f.kind), String(g.length), fixable === 0 ? '' : fixable === g.length ? `--fix: ${f.fix?.action}` : `--fix: ${fixable} (${f.fix?.action ?? ''})`];
  });
  if (view === 'summary') {
    out.push(renderTable(['SEVERITY', 'KIND', 'COUNT', 'REPAIR'], rows, { style: s, align: ['left', 'left', 'right', 'left'] }));
  } else {
    ordered.forEach((g, i) => {
      const row = rows[i] as string[];
      out.push(`${row[0]} ${row[1]} ${s.dim(`(${g.length})`)}${row[3] ? `  ${s.dim(row[3])}` : ''}\n`);
      const shown = view === 'all' ? g : g.slice(0, EXAMPLES_PER_KIND);
      for (const f of shown) out.push(`  ${cell(path.relative(root, f.path) || '.', 70)}  ${s.dim(cell(f.message, 140))}\n`);
      if (shown.length < g.length) out.push(s.dim(`  … and ${g.length - shown.length} more (--all lists every one)\n`));
    });
  }
  const counts = SEVERITY_ORDER.map((k) => [k, findings.filter((f) => f.severity === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
    .join(', ');
  const fixable = findings.filter((f) => f.fix).length;
  out.push(`\n${counts} of ${groups.size} kind${groups.size === 1 ? '' : 's'} in ${root}; ${fixable} can be repaired with \`mlruns doctor --fix\`\n`);
  return out.join('');
}

/** A progress line on a terminal while the root is scanned (nothing in pipes). */
function scanProgress(): { onProgress?: (n: number, runDir: string) => void; done: () => void } {
  if (process.stderr.isTTY !== true || process.env['TERM'] === 'dumb') return { done: () => undefined };
  let last = 0;
  let drawn = false;
  return {
    onProgress: (n, runDir) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      drawn = true;
      const where = path.basename(path.dirname(runDir));
      process.stderr.write(`\r\u001b[2Kmlruns doctor: ${n} runs checked (experiment ${where})…`);
    },
    done: () => {
      if (drawn) process.stderr.write('\r\u001b[2K');
    },
  };
}

/** Diagnoses with a progress line on a terminal. */
function diagnoseWithProgress(root: string): Finding[] {
  const p = scanProgress();
  try {
    return diagnose(root, p.onProgress ? { onProgress: p.onProgress } : {});
  } finally {
    p.done();
  }
}

/**
 * The changes of a fix, one per line.
 *
 * @example
 * ```ts
 * print(renderChanges(planFix(root, diagnose(root)), new Style(false)));
 * ```
 */
export function renderChanges(changes: readonly Change[], s: Style, view: FindingsView = 'all'): string {
  if (changes.length === 0) return 'Nothing to repair automatically.\n';
  const line = (c: Change, i: number): string => `${s.dim(String(i + 1).padStart(3))}  ${c.op.padEnd(10)} ${c.description}\n`;
  if (view === 'all') return changes.map(line).join('');
  // Collapsed: a few changes of each operation, then a count.
  const out: string[] = [];
  const byOp = new Map<string, number>();
  changes.forEach((c, i) => {
    const n = (byOp.get(c.op) ?? 0) + 1;
    byOp.set(c.op, n);
    if (view === 'grouped' && n <= EXAMPLES_PER_KIND) out.push(line(c, i));
  });
  for (const [op, n] of byOp) if (view === 'summary' || n > EXAMPLES_PER_KIND) out.push(s.dim(`     ${op}: ${n} change${n === 1 ? '' : 's'}${view === 'grouped' ? ` (${n - EXAMPLES_PER_KIND} not shown; --all lists them)` : ''}\n`));
  return out.join('');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * The `doctor` command module (register it in the CLI's COMMANDS).
 *
 * @example
 * ```ts
 * doctorCommand.register(program); // mlruns doctor [--fix] [--yes] [--json]
 * ```
 */
export const doctorCommand: CommandModule = {
  name: 'doctor',
  register(program: Command): void {
    program
      .command('doctor')
      .description('Find (and with --fix repair) what would break Python MLflow on the root: foreign paths, damaged metas, stray files, duplicate experiments')
      .option('--fix', 'list every change of the safe repairs, then apply them (with --yes, or after confirmation on a terminal)')
      .option('-y, --yes', 'apply the repairs without asking')
      .option('--summary', 'only a count per kind of finding')
      .option('--all', 'list every finding (default: a few examples per kind)')
      .option('--json', 'print JSON: { "root", "clean", "findings": [...], "changes"?: [...], "applied"?: boolean, "remaining"?: [...] }')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns doctor                      # report only (exit 0 when clean, 4 when not)
  $ mlruns doctor --summary            # one line per kind of finding
  $ mlruns doctor --fix                # show every change, ask before applying
  $ mlruns doctor --fix --yes          # apply (after a git clone, pull or merge)
  $ mlruns --root ./other/mlruns doctor --json

Stray entries are moved to <root>/../.mlruns-quarantine/<timestamp>/, never deleted.`,
      )
      .action(async (opts: DoctorOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const root = ctx.folderRoot('mlruns doctor');
        if (!fs.existsSync(root)) {
          throw new CliError(`tracking root '${root}' does not exist (use --root DIR or set MLFLOW_TRACKING_URI)`, EXIT.NOT_FOUND);
        }
        if (opts.yes && !opts.fix) throw new CliError('--yes only makes sense with --fix');
        if (opts.summary && opts.all) throw new CliError('--summary and --all are exclusive');
        const view: FindingsView = opts.summary ? 'summary' : opts.all ? 'all' : 'grouped';
        const s = ctx.style;
        const findings = diagnoseWithProgress(root);
        if (!opts.fix) {
          if (opts.json) print(toJson({ root, clean: isClean(findings), findings: findings.map((f) => findingJson(root, f)) }));
          else print(renderFindings(root, findings, s, view));
          process.exitCode = isClean(findings) ? EXIT.OK : EXIT.DATA;
          return;
        }
        const quarantineDir = quarantineDirFor(root);
        const changes = planFix(root, findings, { quarantineDir });
        let apply = opts.yes === true;
        if (!opts.json) {
          print(renderFindings(root, findings, s, view));
          print(`\n${s.bold(`Changes (${changes.length}):`)}\n`);
          print(renderChanges(changes, s, view));
          if (changes.some((c) => c.op === 'move' && c.to.startsWith(quarantineDir))) print(s.dim(`Quarantine: ${quarantineDir}\n`));
        }
        if (!apply && changes.length > 0 && !opts.json && process.stdin.isTTY === true && process.stderr.isTTY === true) {
          apply = await confirm(`Apply these ${changes.length} changes? [y/N] `);
        }
        if (!apply || changes.length === 0) {
          if (opts.json) {
            print(
              toJson({
                root,
                clean: isClean(findings),
                findings: findings.map((f) => findingJson(root, f)),
                changes: changes.map((c) => changeJson(root, c)),
                applied: false,
              }),
            );
          } else if (changes.length > 0) {
            print(s.yellow('Nothing was changed. Run again with --yes to apply these changes.\n'));
          }
          process.exitCode = isClean(findings) ? EXIT.OK : EXIT.DATA;
          return;
        }
        fix(root, findings, { quarantineDir });
        const remaining = diagnoseWithProgress(root);
        if (opts.json) {
          print(
            toJson({
              root,
              clean: isClean(remaining),
              findings: findings.map((f) => findingJson(root, f)),
              changes: changes.map((c) => changeJson(root, c)),
              applied: true,
              remaining: remaining.map((f) => findingJson(root, f)),
            }),
          );
        } else {
          print(`\n${s.green(`Applied ${changes.length} changes.`)}\n`);
          if (remaining.length > 0) {
            print(`\n${s.bold('Still found:')}\n`);
            print(renderFindings(root, remaining, s, view));
          } else print(`${s.green('No problems left')} in ${root}\n`);
        }
        process.exitCode = isClean(remaining) ? EXIT.OK : EXIT.DATA;
      });
  },
};
