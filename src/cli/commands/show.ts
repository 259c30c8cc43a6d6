import type { Command } from 'commander';
import type { Experiment } from '../../entities.js';
import { Ctx } from '../context.js';
import { cell, fmtDuration, fmtNumber, fmtTime, print, renderTable, toJson } from '../output.js';
import { listArtifactsRecursive, renderTree } from './artifacts.js';
import type { CommandModule } from './module.js';

const MAX_ARTIFACTS = 500;

export const showCommand: CommandModule = {
  name: 'show',
  register(program: Command): void {
    program
      .command('show')
      .description('Show a run: attributes, params, latest metrics, tags, inputs and artifacts')
      .argument('<run>', 'run id (or a unique prefix)')
      .option('--json', 'print JSON: { "run": Run, "experiment": { "experimentId", "name" } | null, "artifacts": FileInfo[], "artifactsTruncated": boolean }')
      .option('--no-system-tags', 'hide mlflow.* tags')
      .addHelpText('after', '\nExamples:\n  $ mlruns show 3f2a9c1e\n  $ mlruns show 3f2a9c1e0b5d4e7f8a9b0c1d2e3f4a5b --json')
      .action(async (arg: string, opts: { json?: boolean; systemTags: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const runId = await ctx.runId(arg, client);
        const run = await client.getRun(runId);
        let experiment: Experiment | null = null;
        try {
          experiment = await client.getExperiment(run.info.experimentId);
        } catch {
          experiment = null;
        }
        let artifacts = { items: [] as Awaited<ReturnType<typeof listArtifactsRecursive>>['items'], truncated: false };
        try {
          artifacts = await listArtifactsRecursive(client, runId, '', MAX_ARTIFACTS);
        } catch {
          // Remote or missing artifact location: show the run anyway.
        }
        if (opts.json) {
          print(
            toJson({
              run,
              experiment: experiment ? { experimentId: experiment.experimentId, name: experiment.name } : null,
              artifacts: artifacts.items,
              artifactsTruncated: artifacts.truncated,
            }),
          );
          return;
        }
        const s = ctx.style;
        const i = run.info;
        const out: string[] = [];
        out.push(`${s.bold('Run')} ${s.cyan(i.runId)}${i.runName ? `  ${s.bold(cell(i.runName))}` : ''}\n`);
        const end = i.endTime ?? null;
        const attrs: [string, string][] = [
          ['experiment', experiment ? `${cell(experiment.name)} (${i.experimentId})` : i.experimentId],
          ['status', s.status(i.status)],
          ['lifecycle', i.lifecycleStage === 'deleted' ? s.red('deleted') : i.lifecycleStage],
          ['user', cell(i.userId)],
          ['start', fmtTime(i.startTime)],
          ['end', fmtTime(end)],
          ['duration', i.startTime !== null && end !== null ? fmtDuration(end - i.startTime) : ''],
          ['artifact uri', cell(i.artifactUri ?? '', 200)],
        ];
        const source = run.data.tags['mlflow.source.name'];
        if (source) attrs.push(['source', cell(source, 200)]);
        const commit = run.data.tags['mlflow.source.git.commit'];
        if (commit) attrs.push(['git commit', commit]);
        out.push(renderTable(['', ''], attrs.filter(([, v]) => v !== ''), { header: false, indent: '  ' }));

        const section = (title: string, n: number): string => `\n${s.bold(title)} ${s.dim(`(${n})`)}\n`;
        const params = Object.entries(run.data.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        out.push(section('Params', params.length));
        if (params.length) out.push(renderTable(['', ''], params.map(([k, v]) => [cell(k, 60), cell(v, 100)]), { header: false, indent: '  ' }));

        const metrics = Object.entries(run.data.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        out.push(section('Metrics (latest)', metrics.length));
        if (metrics.length) out.push(renderTable(['', ''], metrics.map(([k, v]) => [cell(k, 60), fmtNumber(v)]), { header: false, indent: '  ' }));

        const tags = Object.entries(run.data.tags)
          .filter(([k]) => opts.systemTags || !k.startsWith('mlflow.'))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        out.push(section('Tags', tags.length));
        if (tags.length) {
          out.push(
            renderTable(['', ''], tags.map(([k, v]) => [k.startsWith('mlflow.') ? s.dim(cell(k, 60)) : cell(k, 60), cell(v, 100)]), {
              header: false,
              indent: '  ',
            }),
          );
        }

        const datasets = run.inputs.datasetInputs;
        const models = run.inputs.modelInputs;
        if (datasets.length || models.length || run.outputs.modelOutputs.length) {
          out.push(section('Inputs', datasets.length + models.length));
          const rows = datasets.map((d) => [
            cell(d.dataset.name, 40),
            d.dataset.digest,
            d.dataset.sourceType,
            d.tags.map((t) => `${t.key}=${t.value}`).join(' '),
          ]);
          for (const m of models) rows.push(['model', m.modelId, '', '']);
          if (rows.length) out.push(renderTable(['', '', '', ''], rows, { header: false, indent: '  ' }));
          if (run.outputs.modelOutputs.length) {
            out.push(section('Outputs', run.outputs.modelOutputs.length));
            out.push(renderTable(['', ''], run.outputs.modelOutputs.map((m) => ['model', `${m.modelId} (step ${m.step})`]), { header: false, indent: '  ' }));
          }
        }

        out.push(section('Artifacts', artifacts.items.filter((a) => !a.isDir).length) );
        out.push(renderTree(artifacts.items, '', s, '  '));
        if (artifacts.truncated) out.push(s.dim(`  … more (see mlruns artifacts ls ${i.runId} -r)\n`));
        print(out.join(''));
      });
  },
};
