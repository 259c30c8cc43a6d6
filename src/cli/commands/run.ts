/**
 * `mlruns run`: runs a command (or an MLproject entry point) as an MLflow run. The child gets
 * MLFLOW_RUN_ID, MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_ID and MLFLOW_ALLOW_FILE_STORE=true, so
 * Python MLflow inside it logs into the same run. Its stdout and stderr are streamed and saved as
 * the artifacts `stdout.txt` and `stderr.txt`; the run ends FINISHED (exit 0), FAILED (non-zero
 * exit) or KILLED (signal, or interrupted by Ctrl-C/SIGTERM).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { RunStatus } from '../../entities.js';
import { pathToLocalFileUri } from '../../store/uri.js';
import type { MlflowClient } from '../../tracking/client.js';
import { CliError, Ctx, EXIT, collect } from '../context.js';
import { fmtDuration } from '../output.js';
import { getEntryPoint, loadProject, resolveEntryPoint, shQuote } from '../mlproject.js';
import { parsePairs } from './experiments.js';
import type { CommandModule } from './module.js';

interface RunOptions {
  entryPoint?: string;
  param: string[];
  experiment?: string;
  runName?: string;
  projectDir: string;
  tag: string[];
  logs: boolean;
  quiet?: boolean;
}

function git(cwd: string, args: string[]): string | null {
  try {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    if (r.status !== 0) return null;
    const out = r.stdout.trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

/** `_get_git_url_if_present`: `file://<repo>#<subdir>` for a folder in a git repository, else the folder. */
function projectSourceName(dir: string): string {
  const top = git(dir, ['rev-parse', '--show-toplevel']);
  if (!top) return dir;
  let real = dir;
  try {
    real = fs.realpathSync(dir);
  } catch {
    // keep dir
  }
  const rel = path.relative(top, real);
  return rel === '' ? `file://${top}` : `file://${top}#${rel.split(path.sep).join('/')}`;
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] || process.env['LOGNAME'] || 'unknown';
  }
}

/** The experiment to run in: --experiment (id or name; a new name is created), else MLFLOW_EXPERIMENT_ID / _NAME, else Default. */
async function resolveExperiment(ctx: Ctx, client: MlflowClient, value: string | undefined): Promise<string> {
  const env = process.env;
  if (value === undefined && env['MLFLOW_EXPERIMENT_ID']) return (await client.getExperiment(env['MLFLOW_EXPERIMENT_ID'])).experimentId;
  const wanted = value ?? env['MLFLOW_EXPERIMENT_NAME'];
  if (wanted === undefined || wanted === '') return '0';
  try {
    const e = await ctx.experiment(wanted, client);
    if (e.lifecycleStage === 'deleted') throw new CliError(`experiment '${e.name}' (${e.experimentId}) is deleted; restore it first`, EXIT.CONFLICT);
    return e.experimentId;
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.NOT_FOUND) return client.createExperiment(wanted);
    throw err;
  }
}

const SIGNALS = os.constants.signals as Record<string, number>;

export const runCommand: CommandModule = {
  name: 'run',
  register(program: Command): void {
    program
      .command('run')
      .description('Run a command, or an MLproject entry point, as an MLflow run (Python MLflow inside logs into it)')
      .argument('[command...]', 'the command, after --')
      .option('-e, --entry-point <name>', 'MLproject entry point, or a .py/.sh script (default: main)')
      .option('-P, --param <key=value>', 'entry point parameter (repeatable)', collect, [])
      .option('--experiment <id-or-name>', 'experiment id or name; a new name is created (default: $MLFLOW_EXPERIMENT_ID, $MLFLOW_EXPERIMENT_NAME, else Default)')
      .option('--run-name <name>', 'run name (default: a generated one)')
      .option('--project-dir <dir>', 'folder of the MLproject file', '.')
      .option('--tag <key=value>', 'run tag (repeatable)', collect, [])
      .option('--no-logs', 'do not save stdout/stderr as artifacts')
      .option('-q, --quiet', 'no start and end lines from mlruns on stderr')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns run --experiment sweep --run-name lr-0.1 -- python train.py --lr 0.1
  $ mlruns run -P alpha=0.5 -P l1_ratio=0.1          # the "main" entry point of ./MLproject
  $ mlruns run -e validate -P data=./data.csv --project-dir examples/wine

The child's environment gets MLFLOW_RUN_ID, MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_ID,
MLFLOW_ALLOW_FILE_STORE=true (and PYTHONUNBUFFERED=1 unless set). mlruns exits with the
child's exit code (128+N when it was killed by signal N).`,
      )
      .action(async (command: string[], opts: RunOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const userParams = parsePairs(opts.param, '-P');
        const extraTags = parsePairs(opts.tag, '--tag');
        const projectDir = path.resolve(opts.projectDir);
        let shellCommand: string | undefined;
        let argv: string[] | undefined;
        let loggedParams: Array<{ key: string; value: string }> = [];
        let entryPointName: string | undefined;
        let cwd = process.cwd();
        let projectNote: string | undefined;
        if (command.length > 0) {
          if (opts.entryPoint) throw new CliError('give either a command after -- or --entry-point, not both');
          if (opts.param.length) throw new CliError('-P sets MLproject parameters; with a command after --, pass its arguments directly');
          argv = command;
        } else {
          if (!fs.existsSync(projectDir) || !fs.statSync(projectDir).isDirectory()) throw new CliError(`project folder '${projectDir}' does not exist`, EXIT.NOT_FOUND);
          const project = loadProject(projectDir);
          if (!project.file && !opts.entryPoint) {
            throw new CliError(`nothing to run: give a command after -- (mlruns run -- python train.py) or run in a folder with an MLproject file`);
          }
          if (project.envType === 'docker_env') throw new CliError('docker_env projects are not supported: mlruns runs projects in the local environment');
          if (project.envType) projectNote = `ignoring ${project.envType}: using the local environment`;
          entryPointName = opts.entryPoint ?? 'main';
          const ep = getEntryPoint(project, entryPointName);
          const resolved = resolveEntryPoint(ep, userParams);
          shellCommand = resolved.command;
          loggedParams = resolved.params;
          cwd = projectDir;
        }

        const client = ctx.client('write');
        const experimentId = await resolveExperiment(ctx, client, opts.experiment);
        const commandText = shellCommand ?? (argv ?? []).map(shQuote).join(' ');
        const tags: Record<string, string> = {
          'mlflow.user': userName(),
          'mlflow.source.name': shellCommand !== undefined ? projectSourceName(projectDir) : commandText,
          'mlflow.source.type': shellCommand !== undefined ? 'PROJECT' : 'LOCAL',
        };
        const commit = git(cwd, ['rev-parse', 'HEAD']);
        if (commit) tags['mlflow.source.git.commit'] = commit;
        const repoUrl = git(cwd, ['config', '--get', 'remote.origin.url']);
        if (repoUrl) {
          tags['mlflow.source.git.repoURL'] = repoUrl;
          tags['mlflow.gitRepoURL'] = repoUrl;
        }
        if (entryPointName !== undefined) {
          tags['mlflow.project.entryPoint'] = entryPointName;
          tags['mlflow.project.backend'] = 'local';
          tags['mlflow.project.env'] = 'local';
        }
        // Inside another wrapped run of this store (nested `mlruns run`, or a project step): its child.
        const parent = process.env['MLFLOW_RUN_ID'];
        if (parent) {
          const found = await client.getRun(parent).catch(() => undefined);
          if (found) tags['mlflow.parentRunId'] = parent;
        }
        tags['mlruns.command'] = commandText;
        Object.assign(tags, extraTags);
        const run = await client.createRun(experimentId, { runName: opts.runName ?? null, tags });
        const runId = run.info.runId;
        if (loggedParams.length) await client.logBatch(runId, { params: loggedParams });

        // Signals from here on end the run as KILLED (before the child starts: it is not started).
        let child: ChildProcess | undefined;
        let interrupted: NodeJS.Signals | null = null;
        let forwardTimer: NodeJS.Timeout | undefined;
        const onSignal = (sig: NodeJS.Signals): void => {
          if (child && (child.exitCode !== null || child.signalCode !== null)) return;
          if (interrupted) {
            // Second signal: the child did not stop; kill it.
            child?.kill('SIGKILL');
            return;
          }
          interrupted = sig;
          if (!child) return;
          if (sig === 'SIGINT' && process.stdin.isTTY) {
            // Ctrl-C on a terminal reaches the child too (same process group); forward it only
            // if the child is still running a moment later.
            forwardTimer = setTimeout(() => child?.kill('SIGINT'), 1000);
            forwardTimer.unref();
          } else {
            child.kill(sig);
          }
        };
        const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
        for (const sg of signals) process.on(sg, onSignal);

        const say = (text: string): void => {
          if (!opts.quiet) process.stderr.write(`${ctx.errStyle.dim(`mlruns: ${text}`)}\n`);
        };
        if (projectNote) say(projectNote);
        say(`run ${runId} (${run.info.runName ?? ''}) in experiment ${experimentId}: ${commandText}`);

        let remoteLogDir: string | undefined;
        let outFile: fs.WriteStream | undefined;
        let errFile: fs.WriteStream | undefined;
        if (opts.logs) {
          // A tracking server's artifacts are uploaded at the end from a temporary folder.
          const dir = ctx.isRemote
            ? (remoteLogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-run-logs-')))
            : await client.downloadArtifacts(runId, '').catch(() => undefined);
          if (dir) {
            fs.mkdirSync(dir, { recursive: true });
            outFile = fs.createWriteStream(path.join(dir, 'stdout.txt'));
            errFile = fs.createWriteStream(path.join(dir, 'stderr.txt'));
          }
        }

        const env: NodeJS.ProcessEnv = {
          ...process.env,
          MLFLOW_RUN_ID: runId,
          MLFLOW_TRACKING_URI: ctx.isRemote ? ctx.trackingUri : ctx.isDatabase ? `sqlite:///${ctx.rootPath}` : pathToLocalFileUri(ctx.rootPath),
          MLFLOW_EXPERIMENT_ID: experimentId,
          MLFLOW_ALLOW_FILE_STORE: 'true',
        };
        if (env['PYTHONUNBUFFERED'] === undefined) env['PYTHONUNBUFFERED'] = '1';
        delete env['MLFLOW_EXPERIMENT_NAME'];

        const isWindows = process.platform === 'win32';
        const stdio: ['inherit', 'pipe', 'pipe'] = ['inherit', 'pipe', 'pipe'];
        const started = ((): ChildProcess | undefined => {
          if (interrupted) return undefined;
          if (shellCommand !== undefined) {
            // As MLflow runs a project's command (`bash -c`), but with --norc: bash runs ~/.bashrc
            // before a -c command when its stdin is a socket and it is a top-level shell (it then
            // supposes sshd started it), and Node gives a child a socket for a piped stdin. A
            // ~/.bashrc that changes PATH (pyenv, conda) would then pick another python.
            return isWindows ? spawn('cmd', ['/c', shellCommand], { cwd, env, stdio }) : spawn('bash', ['--norc', '-c', shellCommand], { cwd, env, stdio });
          }
          const [file, ...args] = argv as [string, ...string[]];
          return spawn(file, args, { cwd, env, stdio });
        })();
        child = started;

        started?.stdout?.on('data', (d: Buffer) => {
          process.stdout.write(d);
          outFile?.write(d);
        });
        started?.stderr?.on('data', (d: Buffer) => {
          process.stderr.write(d);
          errFile?.write(d);
        });

        const result = started
          ? await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
              started.once('error', (error) => resolve({ code: null, signal: null, error }));
              started.once('close', (code, signal) => resolve({ code, signal }));
            })
          : { code: null, signal: interrupted as NodeJS.Signals | null };
        if (forwardTimer) clearTimeout(forwardTimer);
        for (const sg of signals) process.off(sg, onSignal);
        await Promise.all([outFile, errFile].map((f) => (f ? new Promise<void>((r) => f.end(() => r())) : Promise.resolve())));
        if (remoteLogDir) {
          try {
            for (const f of ['stdout.txt', 'stderr.txt']) await client.logArtifact(runId, path.join(remoteLogDir, f));
          } catch (err) {
            process.stderr.write(`mlruns: warning: could not upload the output of run ${runId}: ${(err as Error).message}\n`);
          }
          fs.rmSync(remoteLogDir, { recursive: true, force: true });
        }

        let status: RunStatus;
        let exitCode: number;
        if (result.error) {
          status = 'FAILED';
          exitCode = (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126;
          process.stderr.write(`mlruns: error: cannot start '${argv?.[0] ?? 'bash'}': ${result.error.message}\n`);
        } else if (result.signal) {
          status = 'KILLED';
          exitCode = 128 + (SIGNALS[result.signal] ?? 0);
        } else {
          exitCode = result.code ?? 1;
          status = interrupted ? 'KILLED' : exitCode === 0 ? 'FINISHED' : 'FAILED';
        }
        try {
          await client.setTag(runId, 'mlruns.exitCode', String(exitCode));
          if (result.signal) await client.setTag(runId, 'mlruns.signal', result.signal);
          await client.setTerminated(runId, status);
        } catch (err) {
          process.stderr.write(`mlruns: warning: could not record the end of run ${runId}: ${(err as Error).message}\n`);
        }
        const ended = await client.getRun(runId).catch(() => undefined);
        const duration = ended?.info.startTime != null && ended.info.endTime != null ? fmtDuration(ended.info.endTime - ended.info.startTime) : '';
        const colour = status === 'FINISHED' ? ctx.errStyle.green(status) : status === 'FAILED' ? ctx.errStyle.red(status) : ctx.errStyle.yellow(status);
        if (!opts.quiet) {
          process.stderr.write(
            `${ctx.errStyle.dim('mlruns:')} run ${runId} ${colour}${duration ? ` in ${duration}` : ''} ${ctx.errStyle.dim(
              `(${result.signal ? `signal ${result.signal}` : `exit ${exitCode}`})`,
            )}\n`,
          );
        }
        process.exitCode = exitCode;
      });
  },
};
