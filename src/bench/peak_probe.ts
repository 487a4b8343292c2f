// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preloaded (node --require) into a `vma-harness replay` process by the
 * benchmark: at exit, writes the process's peak resident set size to
 * standard error as `peak-rss-kib N`, so that the figure is the command's
 * own, not that of a process which also loaded the benchmark.
 */

process.on('exit', () => {
  process.stderr.write(`\npeak-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
