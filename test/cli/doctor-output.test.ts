/**
 * `mlruns doctor` on a large real store (keimoriyama: 169 runs, 1 M metric lines): findings
 * grouped by kind with counts and severities, collapsed after a few examples, `--summary`,
 * `--all`, and a progress line on a terminal only.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, CORPUS, build, cleanEnv, copyCorpus, mlruns } from './helpers.js';

vi.setConfig({ testTimeout: 300_000 });

let root: string;
// Each doctor run reads the store's million metric lines: a read-only command's answer is asked once.
let json: { findings: { kind: string; severity: string }[] } | undefined;
let summary: ReturnType<typeof mlruns> | undefined;
/** `doctor --json` (exit 4: findings remain). */
function doctorJson(): { findings: { kind: string; severity: string }[] } {
  if (json) return json;
  const r = mlruns(['--root', root, 'doctor', '--json']);
  expect(r.code).toBe(4);
  json = JSON.parse(r.stdout) as { findings: { kind: string; severity: string }[] };
  return json;
}
/** `doctor --summary` in a pipe. */
function doctorSummary(): ReturnType<typeof mlruns> {
  summary ??= mlruns(['--root', root, 'doctor', '--summary']);
  return summary;
}
beforeAll(() => {
  build();
  if (CORPUS) root = copyCorpus('keimoriyama__baseline');
});

describe.skipIf(!CORPUS)('doctor output on the keimoriyama store', () => {
  it('groups findings by kind (count, severity, repair), shows 3 examples of each, and counts them all', () => {
    const j = doctorJson();
    const byKind = new Map<string, number>();
    for (const f of j.findings) byKind.set(`${f.severity} ${f.kind}`, (byKind.get(`${f.severity} ${f.kind}`) ?? 0) + 1);
    expect(byKind.size).toBeGreaterThanOrEqual(2);
    const r = mlruns(['--root', root, 'doctor']);
    expect(r.code).toBe(4);
    const heads = [...r.stdout.matchAll(/^(error|warning|info) (\S+) \((\d+)\)/gm)].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])] as const);
    expect(new Map(heads)).toEqual(byKind);
    // Errors come first.
    expect(heads[0]?.[0]).toMatch(/^error /);
    for (const [kind, n] of heads) {
      const block = r.stdout.slice(r.stdout.indexOf(`${kind} (${n})`)).split(/\n(?=(?:error|warning|info) |\n)/)[0] as string;
      const examples = block.split('\n').filter((l) => /^ {2}\S/.test(l) && !l.includes('… and'));
      expect(examples).toHaveLength(Math.min(3, n));
      if (n > 3) expect(block).toContain(`… and ${n - 3} more (--all lists every one)`);
    }
    expect(r.stdout).toMatch(new RegExp(`\\n${j.findings.filter((f) => f.severity === 'error').length} errors, .* of ${byKind.size} kinds in `));
    expect(r.stdout.split('\n').length).toBeLessThan(byKind.size * 5 + 5);
  });

  it('--summary: one row per kind; --all: every finding', () => {
    const sum = doctorSummary();
    const lines = sum.stdout.split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+KIND\s+COUNT\s+REPAIR$/);
    expect(sum.stdout).toMatch(/^error\s+missing-subfolder\s+\d+\s+--fix: mkdir$/m);
    const all = mlruns(['--root', root, 'doctor', '--all']);
    const n = doctorJson().findings.length;
    expect(all.stdout.split('\n').filter((l) => /^ {2}\S/.test(l))).toHaveLength(n);
    expect(mlruns(['--root', root, 'doctor', '--summary', '--all']).code).toBe(1);
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('draws a progress line on a terminal, and none in a pipe', () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --root ${JSON.stringify(root)} doctor --summary`;
    const tty = spawnSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: cleanEnv({ TERM: 'xterm' }), encoding: 'utf8' });
    expect(tty.stdout).toMatch(/mlruns doctor: \d+ runs checked \(experiment \w+\)…/);
    expect(doctorSummary().stderr).toBe('');
  });
});
