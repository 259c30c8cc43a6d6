import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Makes sure the system packages (chromium, PostgreSQL, Java) and the Python oracle (pinned MLflow
 * versions in virtualenvs) exist before any test runs. The scripts are idempotent and return at once, silently, when everything is ready.
 *
 * Also makes the folder where the run's warm Python servers live (test/oracle/zygote.ts): one per
 * virtualenv, shared by every test file, started by the first file that runs Python in it. The
 * returned teardown stops them (they also stop on their own once this process is gone).
 *
 * The run's temporary folders go in one folder of its own (TMPDIR, which the test files, their
 * children and Python inherit), removed by the teardown: the stores, catalogs and servers' folders
 * that tests make and a file's cleanup may miss do not pile up in the system's temporary folder.
 */
export default function setup(): () => void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync('bash', [path.join(root, 'scripts/setup-system.sh')], { stdio: 'inherit' });
  // Says nothing when every virtualenv is ready (ORACLE_QUIET): the run's output is its results.
  execFileSync('bash', [path.join(root, 'scripts/setup-oracle.sh')], { stdio: 'inherit', env: { ...process.env, ORACLE_QUIET: '1' } });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-test-'));
  // As /tmp is: PostgreSQL runs as its own user (tests run as root) in a folder made in it.
  fs.chmodSync(tmp, 0o1777);
  process.env['TMPDIR'] = tmp;
  const warm = fs.mkdtempSync(path.join(tmp, 'mlruns-warm-python-'));
  process.env['MLRUNS_WARM_PYTHON_DIR'] = warm;
  process.env['MLRUNS_WARM_PYTHON_OWNER'] = String(process.pid);
  return () => {
    for (const f of fs.readdirSync(warm).filter((n) => n.endsWith('.pid'))) {
      const pid = Number(fs.readFileSync(path.join(warm, f), 'utf8'));
      const cpuLog = process.env['MLRUNS_TEST_CPU'];
      if (cpuLog && pid > 0) {
        // The CPU of the scripts run in this server (test/setup/cpu-usage.ts's format): they are
        // not children of any test file's process, so no file's line counts them.
        try {
          const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
          const tick = (i: number): number => Number(fields[i - 3]) / 100;
          const python = fs.readFileSync(path.join(warm, f.replace(/\.pid$/, '.python')), 'utf8');
          const line = { file: `(warm python ${path.basename(path.dirname(path.dirname(python)))})`, cpu: +(tick(14) + tick(15) + tick(16) + tick(17)).toFixed(2), self: +(tick(14) + tick(15)).toFixed(2), children: +(tick(16) + tick(17)).toFixed(2), wall: 0, pid, spawns: {} };
          fs.appendFileSync(cpuLog, `${JSON.stringify(line)}\n`);
        } catch {
          /* gone */
        }
      }
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}
