// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vma-harness command.  Each command lives in its own module under
 * src/cli/ and is listed in COMMANDS; src/cli/program.ts holds what they
 * share (parser settings, exit statuses, the --json option).
 */

import { VERSION } from './version';
import { processContext, stdinInUse, type CliContext } from './cli/context';
import { fuzzCommand } from './cli/fuzz_cmd';
import { runCommand } from './cli/main_job';
import { buildProgram, EXIT_INTERRUPTED, runProgram, type CommandFactory } from './cli/program';
import { replayCommand } from './cli/replay_cmd';
import { raceCommand } from './cli/race_cmd';

/** The commands, in the order the help lists them. */
const COMMANDS: readonly CommandFactory[] = [runCommand, replayCommand, fuzzCommand, raceCommand];

const ABOUT =
  'TypeScript port of Linux v6.15 mm/vma.c and its userland test harness (tools/testing/vma), ' +
  'with a trace replayer, a reference model and property-based fuzzing.';

const AFTER = `
Exit status of every command: 0 success; 1 a mismatch, WARN, crash of the port
or a fuzzing failure; 2 bad input or bad usage; 130 interrupted (Ctrl-C, after a
partial summary).

Environment: VMA_HARNESS_VERBOSE=1 prints every WARN-class check as it fires.
Run 'vma-harness <command> --help' for the options of a command.`;

/**
 * Run the command line @p argv (without the node and script names) and
 * return the exit status.  @p ctx defaults to the real process.
 */
export async function main(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  const exit = { code: 0 };
  const setExit = (code: number): void => {
    exit.code = code;
  };
  const program = buildProgram(
    ctx,
    VERSION,
    COMMANDS.map((f) => f(ctx, setExit)),
    ABOUT,
  ).addHelpText('after', AFTER);
  return runProgram(program, argv, exit);
}

/**
 * The process entry point (bin/vma-harness.js): installs the Ctrl-C handler
 * (the first SIGINT asks the command to stop and print a partial summary;
 * a second one ends the process at once) and sets the exit status.
 */
export async function cliMain(argv: readonly string[]): Promise<number> {
  const ctx = processContext();
  let signals = 0;
  const onSigint = (): void => {
    signals++;
    ctx.interrupt.request();
    /* A read of standard input ("-") must not hold the stop up. */
    if (stdinInUse()) process.stdin.destroy();
    if (signals > 1) process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onSigint);
  try {
    return await main(argv, ctx);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
