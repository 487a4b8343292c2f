// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The order Jest starts the suites in.  Jest runs the longest suites first
 * when its cache holds the times of an earlier run; without them (a fresh
 * clone) it goes by file size, which put the longest suites (small files
 * that run a whole campaign or the corpus) among the last, so that one core
 * ran them alone at the end.  Here a suite without a recorded time takes
 * the typical time below (seconds from its start to its end in a worker,
 * its child processes included, in a fresh clone's run on the 2-core
 * development machine, 2026-12-01 10:21, load 5-7); the others keep Jest's
 * file-size order after them.  Only the order changes: every suite runs.
 */
'use strict';
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Typical seconds of the longest suites (path relative to tests/). */
const TYPICAL = {
  'package/external.test.ts': 10,
  'race/ordering.test.ts': 5.5,
  'replay/fixtures.test.ts': 5.2,
  'cli/process.test.ts': 4.5,
  'fuzz/property.test.ts': 4.2,
  'race/planted.test.ts': 4.0,
  'race/known_uaf.test.ts': 3.3,
  'race/parallel.test.ts': 3.3,
  'fuzz/fast_paths.test.ts': 2.6,
  'fuzz/iter_planted.test.ts': 2.6,
  'fuzz/maple_planted.test.ts': 2.4,
  'fuzz/planted.test.ts': 2.4,
  'fuzz/known_defects.test.ts': 2.3,
  'trace/format.test.ts': 2.2,
  'trace/validator.test.ts': 2.1,
  'race/explorer.test.ts': 2.0,
};

class LongestFirst extends Sequencer {
  /** Jest's order when every suite has a recorded time; else the typical times first, longest first. */
  sort(tests) {
    if (tests.every((t) => this.time(t) !== undefined)) return super.sort(tests);
    const typical = (t) => TYPICAL[relative(t.context.config.rootDir + '/tests', t.path).split('\\').join('/')];
    const known = tests.filter((t) => typical(t) !== undefined).sort((a, b) => typical(b) - typical(a));
    const rest = super.sort(tests.filter((t) => typical(t) === undefined));
    return [...known, ...rest];
  }
}

module.exports = LongestFirst;
