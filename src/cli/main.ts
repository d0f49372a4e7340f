import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { OrchardError } from '../core/errors.js';
import { createCliContext, type CliContext } from './context.js';
import { registerDataCommands } from './commands/data.js';
import { registerExperimentCommands } from './commands/experiments.js';
import { registerExportCommand } from './commands/export.js';
import { registerModelCommands } from './commands/models.js';
import { registerMonitorCommands } from './commands/monitor.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerQuickstartCommand } from './commands/quickstart.js';
import { registerRunCommands } from './commands/runs.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerServerCommand } from './commands/server.js';
import { registerServeCommand } from './commands/serve.js';
import { registerEndpointCommands } from './commands/endpoints.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerEvaluateCommand, registerTrainCommand } from './commands/train.js';
import { registerTuneCommand } from './commands/tune.js';
import { registerAlertCommands } from './commands/alerts.js';
import { registerScheduleCommands } from './commands/schedules.js';
import '../learn/builtins.js';

export type Action = (ctx: CliContext, ...args: never[]) => Promise<void | number>;

/** Wraps a command so errors print as one clear line and set the exit code, never a stack trace. */
export function withContext<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<void | number>) {
  return async (...args: A): Promise<void> => {
    let ctx: CliContext | undefined;
    try {
      ctx = createCliContext();
      const code = await fn(ctx, ...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (error) {
      process.exitCode = reportError(error);
    } finally {
      await ctx?.close().catch(() => {});
    }
  };
}

function reportError(error: unknown): number {
  if (error instanceof OrchardError) {
    process.stderr.write(`orchard: ${error.message}\n`);
    return error.code === 'INVALID_ARGUMENT' || error.code === 'CONFIG_ERROR' || error.code === 'NOT_FOUND' ? 2 : 1;
  }
  process.stderr.write(`orchard: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

export function buildProgram(): Command {
  const program = new Command('orchard')
    .description('Orchard: from raw data to a monitored production endpoint and back again.')
    .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version)
    .showHelpAfterError('(run `orchard --help` for usage)')
    // Program options only before the subcommand, so `orchard models card x --version 3` is the subcommand's --version.
    .enablePositionalOptions()
    .exitOverride();
  registerQuickstartCommand(program);
  registerServerCommand(program);
  registerServeCommand(program);
  registerEndpointCommands(program);
  registerDataCommands(program);
  registerExperimentCommands(program);
  registerRunCommands(program);
  registerPipelineCommands(program);
  registerTrainCommand(program);
  registerEvaluateCommand(program);
  registerExportCommand(program);
  registerTuneCommand(program);
  registerModelCommands(program);
  registerPredictCommand(program);
  registerTokenCommands(program);
  registerMonitorCommands(program);
  registerScheduleCommands(program);
  registerAlertCommands(program);
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(error);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
