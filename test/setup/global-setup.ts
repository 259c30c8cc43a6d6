import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Makes sure the system packages (chromium, PostgreSQL, Java) and the Python oracle (pinned MLflow
 * versions in virtualenvs) exist before any test runs. The scripts are idempotent and return at once, silently, when everything is ready.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync('bash', [path.join(root, 'scripts/setup-system.sh')], { stdio: 'inherit' });
  // Says nothing when every virtualenv is ready (ORACLE_QUIET): the run's output is its results.
  execFileSync('bash', [path.join(root, 'scripts/setup-oracle.sh')], { stdio: 'inherit', env: { ...process.env, ORACLE_QUIET: '1' } });
}
