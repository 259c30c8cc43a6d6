/**
 * The warm Python servers (test/oracle/zygote.{py,ts}) behave as a fresh `python` would for the
 * scripts the suites run in them: streams, exit codes, environment, folder, signals by way of the
 * client, and several scripts at once (oracles live for a whole file while other scripts run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { oraclePython } from './oracle.js';
import { warmPythonSpawn, warmPythonSync } from './zygote.js';

const PY = oraclePython('3');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-zygote-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function exitOf(child: ReturnType<typeof warmPythonSpawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('warm Python', () => {
  it('runs a script with its own argv, environment, folder and exit code, mlflow already imported', () => {
    const r = warmPythonSync(
      PY,
      ['-c', 'import os, sys; print(sys.argv[1:], os.environ["ZYG"], os.getcwd(), "mlflow" in sys.modules); sys.exit(3)', 'a', 'b'],
      { cwd: tmp, env: { PATH: process.env['PATH'], ZYG: 'here' } },
    );
    expect(r.status).toBe(3);
    expect(r.stdout.trim()).toBe(`['a', 'b'] here ${fs.realpathSync(tmp)} True`);
  });

  it('prints an uncaught exception as python does, exit code 1', () => {
    const r = warmPythonSync(PY, ['-c', 'raise ValueError("boom")'], { env: { PATH: process.env['PATH'] } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Traceback[\s\S]*ValueError: boom/);
  });

  it('is shared by the test files of a run: the server lives in the folder global-setup made', () => {
    warmPythonSync(PY, ['-c', 'pass']);
    const dir = process.env['MLRUNS_WARM_PYTHON_DIR'];
    expect(dir, 'global-setup sets MLRUNS_WARM_PYTHON_DIR').toBeTruthy();
    const pids = fs.readdirSync(dir as string).filter((f) => f.endsWith('.pid'));
    expect(pids.length).toBeGreaterThan(0);
  });

  it('streams lines both ways under PYTHONUNBUFFERED (a JSON-lines server), with several scripts alive at once', async () => {
    const script = 'import sys\nfor line in sys.stdin:\n    print("echo " + line.strip())\n';
    const children = [0, 1, 2].map(() => warmPythonSpawn(PY, ['-c', script], { env: { PATH: process.env['PATH'], PYTHONUNBUFFERED: '1' } }));
    const answers = await Promise.all(
      children.map(
        (c, i) =>
          new Promise<string>((resolve) => {
            createInterface({ input: c.stdout }).once('line', resolve);
            c.stdin.write(`hello ${i}\n`);
          }),
      ),
    );
    expect(answers).toEqual(['echo hello 0', 'echo hello 1', 'echo hello 2']);
    const exits = children.map(exitOf);
    for (const c of children) c.stdin.end();
    expect(await Promise.all(exits)).toEqual([0, 0, 0]);
  });

  it('forwards a signal the client gets to the script (a KeyboardInterrupt for SIGINT)', async () => {
    const script = 'import sys, time\ntry:\n    print("ready", flush=True)\n    time.sleep(600)\nexcept KeyboardInterrupt:\n    print("interrupted", flush=True)\n    sys.exit(5)\n';
    const child = warmPythonSpawn(PY, ['-c', script]);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const exit = exitOf(child);
    child.kill('SIGINT');
    expect((await lines.next()).value).toBe('interrupted');
    expect(await exit).toBe(5);
  });

  it('kills the script when its client is killed', async () => {
    const pidFile = path.join(tmp, 'pid');
    const child = warmPythonSpawn(PY, ['-c', `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\ntime.sleep(600)`]);
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8') === '') {
      if (Date.now() > deadline) throw new Error('the script did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const exit = exitOf(child);
    child.kill('SIGKILL');
    await exit;
    const gone = Date.now() + 10_000;
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });
});
