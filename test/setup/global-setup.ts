import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Makes sure the Python oracle (pinned MLflow versions in virtualenvs) exists before any test runs.
 * The script is idempotent and returns at once when the virtualenvs are ready.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync('bash', [path.join(root, 'scripts/setup-oracle.sh')], { stdio: 'inherit' });
}
