// SPDX-License-Identifier: GPL-2.0-or-later
import { VERSION } from './version';
import { replayMain } from './cli/replay_cmd';
import { mainJob } from './cli/main_job';
import { fuzzMain } from './cli/fuzz_cmd';
import { raceMain } from './cli/race_cmd';

const HELP = `vma-harness ${VERSION} - TypeScript port of Linux v6.15 mm/vma.c and its userland test harness

Usage:
  vma-harness --help       show this help
  vma-harness --version    print the version
  vma-harness run          the main job (npm start): replay every trace under fixtures/,
                           then run the default fuzz campaign and the default race campaign
  vma-harness fuzz [--runs N] [--commands M] [--seed S] [--scenarios K] [--sweep K]
                   [--path P [--replay-path R]] [--sequences-only | --scenarios-only]
                   [--regressions DIR]
                           property-based fuzzing against the reference model; a shrunk
                           failure is written as a regression trace under fixtures/regressions/
  vma-harness race [--mms N] [--readers N] [--ops N] [--faults N] [--runs N] [--time S]
                   [--seed S] [--scheduler mix|random|pct|dfs] [--depth D] [--bound B]
                   [--fix COMMIT]... [--memory-model sc|lkmm] [--program INTS [--schedule INTS]]
                           race explorer: writers, page-fault readers and process exit
                           against the real v6.15 VMA lock, every invariant checked after
                           every atomic step; --program/--schedule replay a report exactly
  vma-harness replay [--timing] [--verbose] <file-or-dir>...
                           replay vma-trace/1 traces against the port; prints the
                           first mismatch of each failing trace and "N passed, M failed"
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (cmd === 'replay') return replayMain(argv.slice(1));
  if (cmd === 'run') return mainJob(argv.slice(1));
  if (cmd === 'fuzz') return fuzzMain(argv.slice(1));
  if (cmd === 'race') return raceMain(argv.slice(1));
  process.stderr.write(`vma-harness: unknown command '${cmd}' (try --help)\n`);
  return 2;
}
