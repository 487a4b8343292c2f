// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vma-harness command.  Each command lives in its own module under
 * src/cli/ and is listed in COMMANDS; src/cli/program.ts holds what they
 * share (parser settings, exit statuses, the --json option).
 *
 * A command's module (and what it imports: the port, the fuzzer, the race
 * explorer) is loaded only when that command runs: `vma-harness replay`
 * does not load the race explorer.  The program's own help, version and
 * usage errors load them all.
 */

import { VERSION } from './version';
import { processContext, stdinInUse, type CliContext } from './cli/context';
import { buildProgram, EXIT_INTERRUPTED, runProgram, type CommandFactory } from './cli/program';
import { limitHeapGrowth } from './v8_flags';

/** A command: the name it is invoked by and how to load the module that builds it. */
interface CommandEntry {
  readonly name: string;
  readonly load: () => CommandFactory;
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** The commands, in the order the help lists them. */
const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', load: () => (require('./cli/main_job') as typeof import('./cli/main_job')).runCommand },
  { name: 'replay', load: () => (require('./cli/replay_cmd') as typeof import('./cli/replay_cmd')).replayCommand },
  { name: 'fuzz', load: () => (require('./cli/fuzz_cmd') as typeof import('./cli/fuzz_cmd')).fuzzCommand },
  { name: 'race', load: () => (require('./cli/race_cmd') as typeof import('./cli/race_cmd')).raceCommand },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/* The commands @p argv needs: the one its first word names, else (help, version, errors) all. */
function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const named = COMMANDS.find((c) => c.name === argv[0]);
  return named === undefined ? COMMANDS : [named];
}

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
  const commands = commandsFor(argv).map((c) => {
    const cmd = c.load()(ctx, setExit);
    if (cmd.name() !== c.name) throw new Error(`the command listed as '${c.name}' is named '${cmd.name()}'`);
    return cmd;
  });
  const program = buildProgram(ctx, VERSION, commands, ABOUT).addHelpText('after', AFTER);
  return runProgram(program, argv, exit);
}

/**
 * The process entry point (bin/vma-harness.js): installs the Ctrl-C handler
 * (the first SIGINT asks the command to stop and print a partial summary;
 * a second one ends the process at once) and sets the exit status.
 */
export async function cliMain(argv: readonly string[]): Promise<number> {
  limitHeapGrowth();
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
