// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command-line parser: commander (a well-kept, dependency-free library)
 * gives per-command --help with defaults, "--opt value" and "--opt=value",
 * rejection of unknown options and surplus arguments, and conflict checks;
 * we only add strict value parsers (options.ts) and the exit statuses:
 * 0 for help and version, 2 for any usage error.
 *
 * A command is a module exporting a function that builds its commander
 * Command (see replay_cmd.ts); defineCommand() gives it the settings every
 * command shares, so adding one is: write the module, list it in cli.ts.
 */

import { Command, CommanderError, Option } from 'commander';
import type { CliContext } from './context';

/** Exit statuses (README, "Troubleshooting"). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
/** 128 + SIGINT: the run was interrupted (Ctrl-C); a partial summary was printed. */
export const EXIT_INTERRUPTED = 130;

/** Sets the exit status of the command being run. */
export type ExitSetter = (code: number) => void;

/** Builds one command of the program. */
export type CommandFactory = (ctx: CliContext, setExit: ExitSetter) => Command;

/* Settings shared by the program and every command. */
function configure(cmd: Command, ctx: CliContext): Command {
  return cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out.write(s),
      writeErr: (s) => ctx.err.write(s),
      outputError: (s, write) => write(`vma-harness${cmd.name() === 'vma-harness' ? '' : ` ${cmd.name()}`}: ${s.replace(/^error: /, '')}`),
    })
    .showHelpAfterError(`(run 'vma-harness${cmd.name() === 'vma-harness' ? '' : ` ${cmd.name()}`} --help' for usage)`)
    .allowExcessArguments(false)
    .allowUnknownOption(false)
    .helpOption('-h, --help', 'show this help and exit');
}

/** A new command with the shared settings. */
export function defineCommand(name: string, ctx: CliContext): Command {
  return configure(new Command(name), ctx);
}

/** The --json option, the same for every command that has it. */
export function jsonOption(): Option {
  return new Option('--json', 'print one JSON document (schema vma-harness/report/1, see the README) on stdout instead of text');
}

/** The whole program, with @p commands added. */
export function buildProgram(ctx: CliContext, version: string, commands: readonly Command[], help: string): Command {
  const program = configure(new Command('vma-harness'), ctx)
    .description(help)
    .version(version, '-V, --version', 'print the version and exit')
    .helpCommand('help [command]', 'show help for a command');
  for (const c of commands) program.addCommand(c);
  return program;
}

/** Parse @p argv and run the command it names; returns the exit status. */
export async function runProgram(program: Command, argv: readonly string[], exit: { code: number }): Promise<number> {
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT_OK;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return EXIT_OK;
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
  return exit.code;
}
