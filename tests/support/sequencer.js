// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The order Jest starts the suites in.  Jest runs the longest suites first
 * when its cache holds the times of an earlier run; without them (a fresh
 * clone) it goes by file size, which put the longest suites (small files
 * that run a whole campaign or the corpus) among the last, so that one core
 * ran them alone at the end.  Here a suite without a recorded time takes
 * the typical time below (seconds of CPU, its own and its children's, on the
 * 2-core development machine, 2026-12-01); the others keep Jest's file-size
 * order after them.  Only the order changes: every suite runs.
 */
'use strict';
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Typical seconds of the longest suites (path relative to tests/). */
const TYPICAL = {
  'package/external.test.ts': 10,
  'fuzz/property.test.ts': 7.3,
  'race/parallel.test.ts': 5.1,
  'replay/fixtures.test.ts': 4.8,
  'vma_internal/range_tree.test.ts': 4.6,
  'cli/process.test.ts': 4.6,
  'race/planted.test.ts': 4.3,
  'trace/validator.test.ts': 3.7,
  'trace/format.test.ts': 3.7,
  'race/ordering.test.ts': 3.4,
  'fuzz/known_defects.test.ts': 3.4,
  'race/known_uaf.test.ts': 3.2,
  'fuzz/model_oracle.test.ts': 2.9,
  'fuzz/iter_planted.test.ts': 2.9,
  'fuzz/fast_paths.test.ts': 2.5,
  'race/explorer.test.ts': 2.2,
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
