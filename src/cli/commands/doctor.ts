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

/**
 * The findings as an aligned table.
 *
 * @example
 * ```ts
 * print(renderFindings(root, diagnose(root), new Style(false)));
 * ```
 */
export function renderFindings(root: string, findings: readonly Finding[], s: Style): string {
  if (findings.length === 0) return `${s.green('No problems found')} in ${root}\n`;
  const sev = (v: string): string => (v === 'error' ? s.red(v) : v === 'warning' ? s.yellow(v) : s.dim(v));
  const rows = findings.map((f) => [sev(f.severity), f.kind, cell(path.relative(root, f.path) || '.', 60), f.fix ? f.fix.action : '', cell(f.message, 160)]);
  const counts = ['error', 'warning', 'info']
    .map((k) => [k, findings.filter((f) => f.severity === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
    .join(', ');
  const fixable = findings.filter((f) => f.fix).length;
  return (
    renderTable(['SEVERITY', 'KIND', 'PATH', 'FIX', 'MESSAGE'], rows, { style: s }) +
    `\n${counts} in ${root}; ${fixable} can be repaired with \`mlruns doctor --fix\`\n`
  );
}

/**
 * The changes of a fix, one per line.
 *
 * @example
 * ```ts
 * print(renderChanges(planFix(root, diagnose(root)), new Style(false)));
 * ```
 */
export function renderChanges(changes: readonly Change[], s: Style): string {
  if (changes.length === 0) return 'Nothing to repair automatically.\n';
  return changes.map((c, i) => `${s.dim(String(i + 1).padStart(3))}  ${c.op.padEnd(10)} ${c.description}\n`).join('');
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
      .option('--json', 'print JSON: { "root", "clean", "findings": [...], "changes"?: [...], "applied"?: boolean, "remaining"?: [...] }')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns doctor                      # report only (exit 0 when clean, 4 when not)
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
        const s = ctx.style;
        const findings = diagnose(root);
        if (!opts.fix) {
          if (opts.json) print(toJson({ root, clean: isClean(findings), findings: findings.map((f) => findingJson(root, f)) }));
          else print(renderFindings(root, findings, s));
          process.exitCode = isClean(findings) ? EXIT.OK : EXIT.DATA;
          return;
        }
        const quarantineDir = quarantineDirFor(root);
        const changes = planFix(root, findings, { quarantineDir });
        let apply = opts.yes === true;
        if (!opts.json) {
          print(renderFindings(root, findings, s));
          print(`\n${s.bold(`Changes (${changes.length}):`)}\n`);
          print(renderChanges(changes, s));
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
        const remaining = diagnose(root);
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
            print(renderFindings(root, remaining, s));
          } else print(`${s.green('No problems left')} in ${root}\n`);
        }
        process.exitCode = isClean(remaining) ? EXIT.OK : EXIT.DATA;
      });
  },
};
