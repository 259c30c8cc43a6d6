/**
 * `mlruns models`: the model registry of the tracking root (`<root>/models/`, as MLflow's file
 * registry): list, show, versions, register, aliases, legacy stages and search.
 *
 * @example
 * ```ts
 * import { Command } from 'commander';
 * const program = new Command('mlruns');
 * modelsCommand.register(program); // mlruns models list | show | versions | register | alias | stage | search
 * ```
 * @module
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { ModelVersion, RegisteredModel } from '../../entities.js';
import { localFileUriToPath, uriScheme } from '../../store/uri.js';
import { parseRunsUri } from '../../tracking/registry.js';
import { MlflowError } from '../../errors.js';
import type { MlflowClient } from '../../tracking/client.js';
import { CliError, Ctx, EXIT, collect, parsePositiveInt, unknownCommand } from '../context.js';
import { cell, fmtTime, print, renderTable, toJson } from '../output.js';
import type { Style } from '../output.js';
import type { CommandModule } from './module.js';
import { parsePairs } from './experiments.js';

const SUBCOMMANDS = ['list', 'show', 'versions', 'register', 'alias', 'stage', 'search'];

function modelJson(m: RegisteredModel): RegisteredModel {
  return {
    name: m.name,
    creationTimestamp: m.creationTimestamp,
    lastUpdatedTimestamp: m.lastUpdatedTimestamp,
    description: m.description,
    latestVersions: m.latestVersions.map(versionJson),
    tags: m.tags,
    aliases: m.aliases,
  };
}

function versionJson(v: ModelVersion): ModelVersion {
  return {
    name: v.name,
    version: v.version,
    creationTimestamp: v.creationTimestamp,
    lastUpdatedTimestamp: v.lastUpdatedTimestamp,
    description: v.description,
    userId: v.userId,
    currentStage: v.currentStage,
    source: v.source,
    runId: v.runId,
    runLink: v.runLink,
    status: v.status,
    statusMessage: v.statusMessage,
    tags: v.tags,
    aliases: v.aliases,
    modelId: v.modelId,
    storageLocation: v.storageLocation ?? null,
  };
}

const byVersionDesc = (a: ModelVersion, b: ModelVersion): number => Number(b.version) - Number(a.version);

function latestVersion(m: RegisteredModel): string {
  const versions = m.latestVersions.map((v) => Number(v.version)).filter((n) => Number.isFinite(n));
  return versions.length ? String(Math.max(...versions)) : '';
}

function aliasesOf(m: RegisteredModel): string {
  return Object.entries(m.aliases)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([alias, v]) => `@${alias}→${v}`)
    .join(' ');
}

function modelsTable(models: RegisteredModel[], s: Style): string {
  const rows = models.map((m) => [s.bold(cell(m.name, 60)), latestVersion(m), cell(aliasesOf(m), 40), fmtTime(m.lastUpdatedTimestamp), cell(m.description ?? '', 50)]);
  return renderTable(['NAME', 'LATEST', 'ALIASES', 'UPDATED', 'DESCRIPTION'], rows, { style: s, align: ['left', 'right'] });
}

function stageColor(stage: string, s: Style): string {
  return stage === 'Production' ? s.green(stage) : stage === 'Staging' ? s.yellow(stage) : stage === 'Archived' ? s.gray(stage) : stage;
}

function versionsTable(versions: ModelVersion[], s: Style, withName = false): string {
  const rows = versions.map((v) => [
    ...(withName ? [s.bold(cell(v.name, 40))] : []),
    v.version,
    stageColor(v.currentStage, s),
    v.status,
    cell(v.aliases.map((a) => `@${a}`).join(' '), 30),
    v.runId ?? '',
    v.modelId ?? '',
    fmtTime(v.creationTimestamp),
    cell(v.source, 70),
  ]);
  const header = [...(withName ? ['NAME'] : []), 'VERSION', 'STAGE', 'STATUS', 'ALIASES', 'RUN', 'MODEL ID', 'CREATED', 'SOURCE'];
  return renderTable(header, rows, { style: s, align: withName ? ['left', 'right'] : ['right'] });
}

/** Every registered model matching a filter, all pages up to `max`. */
async function searchModels(client: MlflowClient, filter: string | null, orderBy: string[] | null, max: number): Promise<RegisteredModel[]> {
  const out: RegisteredModel[] = [];
  let token: string | null = null;
  do {
    const page = await searchWithCaret(() => client.searchRegisteredModels({ filterString: filter, orderBy, maxResults: Math.min(1000, max - out.length), pageToken: token }), filter, orderBy);
    out.push(...page.registeredModels);
    token = page.token;
  } while (token && out.length < max);
  return out;
}

async function searchVersions(client: MlflowClient, filter: string | null, orderBy: string[] | null, max: number): Promise<ModelVersion[]> {
  const out: ModelVersion[] = [];
  let token: string | null = null;
  do {
    const page = await searchWithCaret(() => client.searchModelVersions({ filterString: filter, orderBy, maxResults: Math.min(10000, max - out.length), pageToken: token }), filter, orderBy);
    out.push(...page.modelVersions);
    token = page.token;
  } while (token && out.length < max);
  return out;
}

/** Runs a search; a bad filter or order-by becomes a usage error with a caret when the parser gives a position. */
async function searchWithCaret<T>(fn: () => Promise<T>, filter: string | null, orderBy: string[] | null): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE') {
      const clause = orderBy?.find((o) => err.message.includes(o));
      const [label, text] = clause !== undefined ? ['--order-by', clause] : filter ? ['--filter', filter] : ['--order-by', (orderBy ?? []).join(', ')];
      const source = err.position !== undefined ? { label, text, position: err.position } : undefined;
      throw new CliError(`invalid ${label}: ${err.message}`, EXIT.USAGE, source);
    }
    throw err;
  }
}

/** The live versions of one model (after checking it exists, with MLflow's error), newest first. */
async function versionsOf(client: MlflowClient, name: string): Promise<{ model: RegisteredModel; versions: ModelVersion[] }> {
  const model = await client.getRegisteredModel(name);
  const quoted = name.includes("'") ? `"${name}"` : `'${name}'`;
  const { modelVersions } = await client.searchModelVersions({ filterString: `name = ${quoted}`, maxResults: 10000 });
  return { model, versions: modelVersions.filter((v) => v.name === name).sort(byVersionDesc) };
}

/**
 * The `models` command group, registered by main.ts (`COMMANDS`).
 *
 * @example
 * ```ts
 * export const COMMANDS: readonly CommandModule[] = [experimentsCommand, modelsCommand];
 * ```
 */
export const modelsCommand: CommandModule = {
  name: 'models',
  register(program: Command): void {
    const group = program
      .command('models')
      .description('The model registry: registered models, versions, aliases and stages')
      .addHelpText(
        'after',
        '\nExamples:\n  $ mlruns models\n  $ mlruns models show iris\n  $ mlruns models register runs:/3f2a…/model iris\n  $ mlruns models alias set iris champion 3',
      );

    group
      .command('list', { isDefault: true })
      .description('List registered models (the default subcommand)')
      .option('--max <n>', 'at most this many models', '100000')
      .option('--json', 'print JSON: { "registeredModels": RegisteredModel[] }')
      .argument('[unexpected...]')
      .usage('[options]')
      .addHelpText('after', '\nExamples:\n  $ mlruns models list\n  $ mlruns models --json')
      .action(async (unexpected: string[], opts: { max: string; json?: boolean }, cmd: Command) => {
        if (unexpected.length > 0) throw unknownCommand(unexpected[0] as string, SUBCOMMANDS, 'models');
        const ctx = new Ctx(cmd);
        const models = await searchModels(ctx.client('read'), null, ['name ASC'], parsePositiveInt(opts.max, '--max'));
        if (opts.json) return print(toJson({ registeredModels: models.map(modelJson) }));
        if (models.length === 0) return print(`No registered models in ${ctx.location}\n`);
        print(modelsTable(models, ctx.style));
      });

    group
      .command('show')
      .description('Show a registered model: description, tags, aliases and its versions')
      .argument('<name>', 'registered model name')
      .option('--json', 'print JSON: { "registeredModel": RegisteredModel, "versions": ModelVersion[] }')
      .addHelpText('after', '\nExamples:\n  $ mlruns models show iris\n  $ mlruns models show iris --json')
      .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const { model, versions } = await versionsOf(ctx.client('read'), name);
        if (opts.json) return print(toJson({ registeredModel: modelJson(model), versions: versions.map(versionJson) }));
        const s = ctx.style;
        const lines = [
          `${s.bold('Name:')}        ${model.name}`,
          `${s.bold('Description:')} ${model.description ?? ''}`,
          `${s.bold('Created:')}     ${fmtTime(model.creationTimestamp)}`,
          `${s.bold('Updated:')}     ${fmtTime(model.lastUpdatedTimestamp)}`,
          `${s.bold('Aliases:')}     ${aliasesOf(model)}`,
          `${s.bold('Tags:')}        ${Object.entries(model.tags).map(([k, v]) => `${k}=${cell(v, 40)}`).join(' ')}`,
          '',
        ];
        print(lines.map((l) => l.replace(/\s+$/, '')).join('\n') + '\n');
        print(versions.length ? versionsTable(versions, s) : 'No versions\n');
      });

    group
      .command('versions')
      .description('List the versions of a registered model, newest first')
      .argument('<name>', 'registered model name')
      .option('--json', 'print JSON: { "versions": ModelVersion[] }')
      .addHelpText('after', '\nExamples:\n  $ mlruns models versions iris\n  $ mlruns models versions iris --json')
      .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const { versions } = await versionsOf(ctx.client('read'), name);
        if (opts.json) return print(toJson({ versions: versions.map(versionJson) }));
        print(versions.length ? versionsTable(versions, ctx.style) : `Registered model '${name}' has no versions\n`);
      });

    group
      .command('register')
      .description('Register a model as a new version of NAME (created when missing), as mlflow.register_model')
      .argument('<model-uri>', 'runs:/<run>/<path>, models:/<name>/<version>, models:/m-<id> or a path')
      .argument('<name>', 'registered model name')
      .option('--tag <key=value>', 'version tag (repeatable)', collect, [])
      .option('--json', 'print JSON: { "modelVersion": ModelVersion }')
      .addHelpText('after', '\nExamples:\n  $ mlruns models register runs:/3f2a…/model iris\n  $ mlruns models register models:/m-1a2b… iris --tag stage=candidate')
      .action(async (uri: string, name: string, opts: { tag: string[]; json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const tags = parsePairs(opts.tag, '--tag');
        const client = ctx.client('read');
        // Python registers a local path that does not exist (the version then points nowhere);
        // mlruns refuses it, as `artifacts get` refuses a missing path.
        const scheme = uriScheme(uri);
        if (scheme === '' || scheme === 'file' || /^[A-Za-z]:[\\/]/.test(uri)) {
          const local = scheme === 'file' ? localFileUriToPath(uri) : uri;
          if (!fs.existsSync(local)) throw new CliError(`model path '${uri}' does not exist (nothing was registered)`, EXIT.USAGE);
        }
        let mv: ModelVersion;
        try {
          mv = await client.registerModel(uri, name, { tags });
        } catch (err) {
          // MLflow reports this with INTERNAL_ERROR (its NOT_FOUND code is not a REST code): it is bad input
          // (exit 1, as every bad argument), not a bug.
          if (err instanceof MlflowError && /^Unable to find a logged_model with artifact_path/.test(err.message)) {
            const { runId, artifactPath } = parseRunsUri(uri);
            throw new CliError(
              `run ${runId} has no model at '${artifactPath ?? ''}': no MLmodel under its artifacts '${artifactPath ?? ''}/' and no logged model of that name (nothing was registered)`,
              EXIT.USAGE,
            );
          }
          throw err;
        }
        if (opts.json) return print(toJson({ modelVersion: versionJson(mv) }));
        print(`Registered '${uri}' as version ${mv.version} of '${mv.name}'\n`);
      });

    const alias = group
      .command('alias')
      .description('Set or delete an alias of a registered model (models:/NAME@ALIAS)')
      .addHelpText('after', '\nExamples:\n  $ mlruns models alias set iris champion 3\n  $ mlruns models alias delete iris champion');
    alias
      .command('set')
      .description('Point ALIAS at VERSION (moved when it pointed elsewhere)')
      .argument('<name>', 'registered model name')
      .argument('<alias>', 'alias (not "latest", not v<digits>)')
      .argument('<version>', 'version number')
      .option('--json', 'print JSON: { "name": string, "alias": string, "version": string }')
      .addHelpText('after', '\nExamples:\n  $ mlruns models alias set iris champion 3')
      .action(async (name: string, aliasName: string, version: string, opts: { json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        await client.setRegisteredModelAlias(name, aliasName, version);
        const mv = await client.getModelVersionByAlias(name, aliasName);
        if (opts.json) return print(toJson({ name: mv.name, alias: aliasName, version: mv.version }));
        print(`Alias '${aliasName}' of '${mv.name}' now points at version ${mv.version}\n`);
      });
    alias
      .command('delete')
      .description('Delete an alias')
      .argument('<name>', 'registered model name')
      .argument('<alias>', 'alias')
      .option('--json', 'print JSON: { "name": string, "alias": string, "deleted": true }')
      .addHelpText('after', '\nExamples:\n  $ mlruns models alias delete iris champion')
      .action(async (name: string, aliasName: string, opts: { json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const model = await client.getRegisteredModel(name);
        if (!(aliasName in model.aliases)) {
          throw new CliError(`registered model '${name}' has no alias '${aliasName}'`, EXIT.NOT_FOUND);
        }
        await client.deleteRegisteredModelAlias(name, aliasName);
        if (opts.json) return print(toJson({ name, alias: aliasName, deleted: true }));
        print(`Deleted alias '${aliasName}' of '${name}'\n`);
      });

    group
      .command('stage')
      .description('Move a version to a legacy stage: None, Staging, Production or Archived')
      .argument('<name>', 'registered model name')
      .argument('<version>', 'version number')
      .argument('<stage>', 'None, Staging, Production or Archived (any case)')
      .option('--archive-existing', 'archive the other versions in that stage (Staging or Production)')
      .option('--json', 'print JSON: { "modelVersion": ModelVersion }')
      .addHelpText('after', '\nExamples:\n  $ mlruns models stage iris 3 Production --archive-existing')
      .action(async (name: string, version: string, stage: string, opts: { archiveExisting?: boolean; json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const mv = await client.transitionModelVersionStage(name, version, stage, { archiveExistingVersions: opts.archiveExisting ?? false });
        if (opts.json) return print(toJson({ modelVersion: versionJson(mv) }));
        print(`Version ${mv.version} of '${mv.name}' is now in stage ${mv.currentStage}\n`);
      });

    group
      .command('search')
      .description("Search registered models (or, with --versions, model versions) with MLflow's filter grammar")
      .option('--filter <filter>', "e.g. \"name LIKE 'iris%'\", \"tags.team = 'ml'\" (versions: \"run_id = '…'\")")
      .option('--order-by <clause>', 'e.g. "name DESC", "last_updated_timestamp DESC" (repeatable)', collect, [])
      .option('--versions', 'search model versions instead of registered models')
      .option('--max <n>', 'at most this many results', '1000')
      .option('--json', 'print JSON: { "registeredModels": RegisteredModel[] } or { "modelVersions": ModelVersion[] }')
      .addHelpText(
        'after',
        "\nExamples:\n  $ mlruns models search --filter \"name LIKE 'iris%'\" --order-by \"name DESC\"\n  $ mlruns models search --versions --filter \"name = 'iris'\" --json",
      )
      .action(async (opts: { filter?: string; orderBy: string[]; versions?: boolean; max: string; json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const max = parsePositiveInt(opts.max, '--max');
        const orderBy = opts.orderBy.length ? opts.orderBy : null;
        if (opts.versions) {
          const versions = await searchVersions(client, opts.filter ?? null, orderBy, max);
          if (opts.json) return print(toJson({ modelVersions: versions.map(versionJson) }));
          print(versions.length ? versionsTable(versions, ctx.style, true) : 'No model versions match\n');
          return;
        }
        const models = await searchModels(client, opts.filter ?? null, orderBy, max);
        if (opts.json) return print(toJson({ registeredModels: models.map(modelJson) }));
        print(models.length ? modelsTable(models, ctx.style) : 'No registered models match\n');
      });
  },
};
