import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadAnalystConfig } from '../lib/config';
import { dataConverterFor } from '../lib/payload-codec';
import { conversationStates } from '../machines/conversation.machine';
import type { ConversationStateName } from '../machines/conversation.types';
import { connectStore } from '../store/db';
import { analyzeRuns, computeKpis, type AnalyzedRun } from './analytics.pipeline';
import { startProgress } from './analyst.progress';
import { historyFilesIn, writeHistoryFile } from './history.files';
import { loadWorkflowCode, quietTemporalRuntime, replayRuns, type ReplayOutcome, type WorkflowCode } from './history.replay';
import { countRuns, historiesFromFiles, historiesFromServer, type Selection } from './history.source';
import { kpisInParallel } from './replay.parallel';
import { isUnreadable, type HistoryInput, type HistoryItem } from './history.types';
import type { AnalystIo } from './analyst.io';
import { kpisToCsv, kpisToTable } from './kpi.format';
import { timelineToMermaid, timelineToText } from './timeline.format';
import type { AnalysisEngine } from './fold.runs';

interface CommonOptions {
  address: string;
  namespace: string;
  workflowId?: string;
  businessNumber?: string;
  taskQueue?: string;
  from?: Date;
  to?: Date;
  state?: ConversationStateName;
  limit?: number;
  dir?: string;
  bundle?: string;
  workflows?: string;
  progress: boolean;
  engine?: AnalysisEngine;
}

const date = (value: string) => {
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new InvalidArgumentError('expected an ISO date or time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z');
  return parsed;
};
const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

/**
 * The analysts' tool: `export`, `replay`, `timeline` and `kpi` over conversation histories, from the Temporal
 * server (selected with built-in search attributes) or from exported files. Returns the exit code: 0 when every
 * history was read and replayed cleanly, 1 otherwise (so `replay` can gate a deploy), 2 for a usage error.
 */
export async function runAnalyst(argv: readonly string[], io: AnalystIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  const config = loadAnalystConfig(env);
  // The service's payload keys: histories are read encrypted and decrypted only here, in the analyst's process.
  const dataConverter = config.TEMPORAL_PAYLOAD_KEYS ? dataConverterFor(config.TEMPORAL_PAYLOAD_KEYS) : undefined;
  let exitCode = 0;
  const program = new Command('wa-analyst')
    .description('Export and replay WhatsApp conversation histories; conversation timelines and KPIs.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Examples:
  wa-analyst export --business-number 106540352242922 --from 2026-11-24 --out exported/
  wa-analyst replay --dir exported/                  exit 1 if the current code cannot replay one
  wa-analyst timeline -w wa:106540352242922:15551234567 --format mermaid
  wa-analyst kpi --dir exported/ --format csv --mongodb-url mongodb://127.0.0.1:27017/

The server is TEMPORAL_ADDRESS (default 127.0.0.1:7233) unless --address is given; history files or --dir are read
instead of the server when given.`,
    );

  const withSelection = (command: Command, readsFiles: boolean) => {
    command
      .option('--address <host:port>', 'Temporal frontend', config.TEMPORAL_ADDRESS)
      .option('--namespace <name>', 'Temporal namespace', config.TEMPORAL_NAMESPACE)
      .option('-w, --workflow-id <id>', 'one conversation: wa:<business number>:<customer>')
      .option('--business-number <id>', 'conversations of one business phone-number id')
      .option('--task-queue <name>', 'conversations run on one task queue')
      .option('--from <time>', 'runs started at or after this time (ISO)', date)
      .option('--to <time>', 'runs started before this time (ISO)', date)
      .addOption(new Option('--state <state>', 'runs now in (or ended in) this machine state').choices(conversationStates))
      .option('--limit <n>', 'at most this many runs', positive)
      .option('--no-progress', 'no progress bar on stderr');
    if (readsFiles) {
      command
        .argument('[files...]', 'history files to read instead of the server')
        .option('--dir <dir>', 'read every .json history in this directory instead of the server')
        .option('--bundle <file>', 'a prebuilt workflow bundle to replay against', config.WORKER_WORKFLOW_BUNDLE)
        .option('--workflows <path>', 'workflow source to bundle and replay against (default: this version)');
    }
    return command;
  };
  // Timelines and KPIs: folded through the machine by default; the replayer on request (README "Replaying histories").
  const withEngine = (command: Command) =>
    command.addOption(new Option('--engine <engine>', 'fold: through the pure machine (fast); replay: Temporal\'s replayer against --bundle/--workflows').choices(['fold', 'replay']).default('fold'));

  withEngine(withSelection(program.command('export'), false))
    .description('Save each selected run\'s history as Temporal JSON, one file per run (<workflow id>~<run id>.json)')
    .requiredOption('--out <dir>', 'directory to write into')
    .option('--bundle <file>', 'with --state: a prebuilt workflow bundle to replay against', config.WORKER_WORKFLOW_BUNDLE)
    .action(async (options: CommonOptions & { out: string }) => {
      await mkdir(options.out, { recursive: true });
      const code = () => codeFor(options);
      const { inputs, total, close } = await open(options, [], dataConverter);
      const progress = startProgress(io, options.progress, total, 'export');
      let written = 0;
      try {
        if (options.state) {
          for await (const run of analyzeRuns(inputs, code, options.state, dataConverter, options.engine)) {
            progress.tick();
            if (!report(run.outcome, false)) continue;
            if (run.matched && !isUnreadable(run.outcome)) written += await write(options.out, run.outcome);
          }
        } else {
          for await (const item of inputs) {
            progress.tick();
            if (!isUnreadable(item)) written += await write(options.out, item);
          }
        }
      } finally {
        progress.stop();
        await close();
      }
      io.stderr.write(`${written} histories written to ${options.out}\n`);
    });

  withSelection(program.command('replay'), true)
    .description('Replay histories against the current workflow code; exit 1 if any does not replay cleanly')
    .option('--json', 'one JSON line per run instead of text')
    .action(async (files: string[], options: CommonOptions & { json?: boolean }) => {
      const code = await codeFor(options);
      const { inputs, total, close } = await open(options, files, dataConverter);
      const progress = startProgress(io, options.progress, total, 'replay');
      let ok = 0;
      let failed = 0;
      try {
        for await (const outcome of replayRuns(inputs, code, dataConverter)) {
          progress.tick();
          const clean = report(outcome, true, options.json);
          if (clean) ok += 1;
          else failed += 1;
        }
      } finally {
        progress.stop();
        await close();
      }
      io.stderr.write(`${ok} replayed cleanly, ${failed} failed\n`);
    });

  withEngine(withSelection(program.command('timeline'), true))
    .description('Each run\'s timeline: states entered and left, messages, window expiries, hand-offs')
    .addOption(new Option('--format <format>', 'text, json (one JSON object per line) or mermaid (the path through the diagram)').choices(['text', 'json', 'mermaid']).default('text'))
    .action(async (files: string[], options: CommonOptions & { format: 'text' | 'json' | 'mermaid' }) => {
      await forEachRun(options, files, 'timeline', (run) => {
        if (!run.timeline) return;
        if (options.format === 'json') io.stdout.write(`${JSON.stringify(run.timeline)}\n`);
        else if (options.format === 'mermaid') io.stdout.write(`%% ${run.timeline.conversationId} run ${run.timeline.runId}\n${timelineToMermaid(run.timeline)}\n`);
        else io.stdout.write(`${timelineToText(run.timeline)}\n`);
      });
    });

  withEngine(withSelection(program.command('kpi'), true))
    .description('KPIs over the selected conversations: hold and first response times, states, expiries, failures, pricing')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--mongodb-url <url>', 'read pricing categories from this store', config.MONGODB_URL)
    .option('--mongodb-db <name>', 'database name', config.MONGODB_DB)
    .option('--processes <n>', 'read history files with this many processes at once (one per core is fastest)', positive, 1)
    .action(async (files: string[], options: CommonOptions & { format: 'table' | 'json' | 'csv'; mongodbUrl?: string; mongodbDb: string; processes: number }) => {
      const store = options.mongodbUrl ? await connectStore(options.mongodbUrl, options.mongodbDb) : undefined;
      try {
        const code = () => codeFor(options);
        const { inputs, total, close, paths } = await open(options, files, dataConverter);
        const progress = startProgress(io, options.progress, total, 'kpi');
        const onParallelRun = (failure: string | undefined) => {
          progress.tick();
          if (failure) io.stderr.write(`${failure}\n`);
          if (failure) exitCode = 1;
        };
        try {
          const kpis =
            options.processes > 1 && paths
              ? await kpisInParallel(paths, { code, engine: options.engine, processes: options.processes, state: options.state, payloadKeys: env.TEMPORAL_PAYLOAD_KEYS, store, onRun: (run) => onParallelRun(run.failure) })
              : await computeKpis(analyzeRuns(inputs, code, options.state, dataConverter, options.engine), {
                  ...(store ? { store } : {}),
                  onRun: (run) => {
                    progress.tick();
                    report(run.outcome, false);
                  },
                });
          progress.stop();
          if (options.format === 'json') io.stdout.write(`${JSON.stringify(kpis, null, 2)}\n`);
          else if (options.format === 'csv') io.stdout.write(kpisToCsv(kpis));
          else io.stdout.write(kpisToTable(kpis));
        } finally {
          progress.stop();
          await close();
        }
      } finally {
        await store?.close();
      }
    });

  /** Prints a failed or unreadable run on stderr (and, for `replay`, every run on stdout); true when it is clean. */
  function report(outcome: ReplayOutcome, everyRun: boolean, json = false): boolean {
    if (isUnreadable(outcome)) {
      exitCode = 1;
      if (json) io.stdout.write(`${JSON.stringify({ source: outcome.source, ok: false, error: outcome.error })}\n`);
      io.stderr.write(`error: ${outcome.error}\n`);
      return false;
    }
    if (!outcome.ok) exitCode = 1;
    const where = outcome.offendingEvent ? ` at event ${outcome.offendingEvent.eventId} (${outcome.offendingEvent.eventType})` : '';
    if (json) {
      const { records: _records, history: _history, start: _start, ...rest } = outcome;
      io.stdout.write(`${JSON.stringify(rest)}\n`);
    } else if (everyRun || !outcome.ok) {
      const line = outcome.ok
        ? `ok    ${outcome.workflowId} ${outcome.runId} (${outcome.meta.eventCount} events)`
        : `FAIL  ${outcome.workflowId} ${outcome.runId}${where}${outcome.nondeterministic ? ': nondeterministic' : ''}\n      ${outcome.error}${keyHint(outcome.error)}`;
      (outcome.ok ? io.stdout : everyRun ? io.stdout : io.stderr).write(`${line}\n`);
    }
    return outcome.ok;
  }

  async function forEachRun(options: CommonOptions, files: string[], label: string, each: (run: AnalyzedRun) => void): Promise<void> {
    const code = () => codeFor(options);
    const { inputs, total, close } = await open(options, files, dataConverter);
    const progress = startProgress(io, options.progress, total, label);
    try {
      for await (const run of analyzeRuns(inputs, code, options.state, dataConverter, options.engine)) {
        progress.tick();
        report(run.outcome, false);
        each(run);
      }
    } finally {
      progress.stop();
      await close();
    }
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 2;
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  return exitCode;
}

async function write(dir: string, item: Pick<HistoryItem, 'workflowId' | 'runId' | 'history'>): Promise<number> {
  await writeHistoryFile(dir, item);
  return 1;
}

async function codeFor(options: CommonOptions): Promise<WorkflowCode> {
  quietTemporalRuntime();
  return loadWorkflowCode({ ...(options.bundle ? { bundlePath: options.bundle } : {}), ...(options.workflows ? { workflowsPath: resolve(options.workflows) } : {}) });
}

/** The histories to work on: the files given, else the server's runs matching the selection. */
type Opened = { inputs: AsyncIterable<HistoryInput>; total: number | undefined; close(): Promise<void>; paths?: string[] };
async function open(options: CommonOptions, files: readonly string[], dataConverter: DataConverter | undefined): Promise<Opened> {
  if (files.length > 0 || options.dir) {
    const all = [...files, ...(options.dir ? await historyFilesIn(options.dir) : [])];
    const paths = options.limit === undefined ? all : all.slice(0, options.limit);
    return { inputs: historiesFromFiles(paths), total: paths.length, close: async () => undefined, paths };
  }
  const selection: Selection = {
    ...(options.workflowId ? { workflowId: options.workflowId } : {}),
    ...(options.businessNumber ? { businessNumberId: options.businessNumber } : {}),
    ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
    ...(options.from ? { startedFrom: options.from } : {}),
    ...(options.to ? { startedBefore: options.to } : {}),
    ...(options.state ? { state: options.state } : {}),
    ...(options.limit ? { limit: options.limit } : {}),
  };
  const connection = await Connection.connect({ address: options.address, connectTimeout: 5_000 });
  const client = new Client({ connection, namespace: options.namespace, ...(dataConverter ? { dataConverter } : {}) });
  const total = await countRuns(client, selection).catch(() => undefined);
  return { inputs: historiesFromServer(client, selection), total, close: () => connection.close() };
}

export type { AnalystIo } from './analyst.io';

/** What to do about a history whose payloads were encrypted with keys this process was not given. */
function keyHint(error: string | undefined): string {
  return error?.includes('binary/encrypted') || error?.includes('encryption key')
    ? '\n      (its payloads are encrypted: set TEMPORAL_PAYLOAD_KEYS to the keys that wrote them; README "Analysts")'
    : '';
}
