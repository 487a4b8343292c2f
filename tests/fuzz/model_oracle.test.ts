// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reference model is checked against ground truth, not against the port:
 * for every oracle trace recorded from the original v6.15 C code (random-*,
 * ext-* and, once present, fault-*), the model must accept every step as
 * valid and predict every step's expectations exactly, the mm's page
 * counters included wherever the trace records them.
 */

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { VmaModel } from '../../src/fuzz/model';
import { compareExpect } from '../../src/trace/compare';
import { parseTrace } from '../../src/trace/parse';
import { collectTraceFiles } from '../../src/trace/replay';
import { quickBe } from '../support/quick_expect';

const dir = join(__dirname, '..', '..', 'fixtures', 'oracle');
const files = collectTraceFiles([dir]);

test('the oracle sets are all there', () => {
  const sets = new Set(files.map((f) => basename(f).replace(/-s\d+\.json$/, '')));
  expect(sets.has('random')).toBe(true);
  expect(sets.has('ext')).toBe(true);
});

test.each(files.map((f) => [basename(f), f]))('%s', (name, file) => {
  const trace = parseTrace(readFileSync(file, 'utf8'), file);
  /* The random-* traces record no counters and let them wrap. */
  const opts = { allowCounterWrap: name.startsWith('random-') };
  const model = new VmaModel();
  let first: unknown = null;
  for (let i = 0; i < trace.steps.length && first === null; i++) {
    const step = trace.steps[i];
    const invalid = model.validate(step, opts);
    if (invalid !== null) {
      first = { step: i, op: step.op, invalid };
      break;
    }
    const predicted = model.apply(step);
    const mismatch = step.expect ? compareExpect(step.expect, predicted) : null;
    if (mismatch) first = { step: i, op: step.op, mismatch };
  }
  quickBe(first, null);
});
