import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Makes sure the system packages (chromium, PostgreSQL, Java) and the Python oracle (pinned MLflow
 * versions in virtualenvs) exist before any test runs. The scripts are idempotent and returns at once when the virtualenvs are ready.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync('bash', [path.join(root, 'scripts/setup-system.sh')], { stdio: 'inherit' });
  execFileSync('bash', [path.join(root, 'scripts/setup-oracle.sh')], { stdio: 'inherit' });
}
