// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Example 1: a merge that must happen.
 *
 * Two compatible VMAs with a one-range gap between them; a new mapping of
 * the gap, with the same flags and page offsets running on, must merge
 * with both neighbours: the lower VMA grows over the gap and the upper
 * one, which is freed.  Then everything is unmapped, with no warning.
 *
 * Run it from a project that depends on vma-harness: compile with tsc and
 * run the .js with node (see the README, "Write your own scenario").
 */

import assert from 'node:assert/strict';
import { Scenario } from 'vma-harness';

/** Runs the scenario; throws (with a layout diagram) if the port misbehaves. */
export function run(log: (line: string) => void = () => {}): void {
  const s = new Scenario();
  const a = s.link(0x1000, 0x3000); /* pgoff 1, flags 0x33 (defaults) */
  const b = s.link(0x5000, 0x7000); /* pgoff 5 */
  s.expectLayout('AA  BB');

  /* mmap() of the gap [0x3000, 0x5000) with pgoff 3: prev, new and next line up. */
  const m = s.mergeNew(0x3000, 0x5000);
  assert.equal(m.state, 'SUCCESS');
  assert.equal(m.vma, a, 'the merge expands the lower VMA');
  log(s.diagram());

  s.expectLayout('AAAAAA').expectAttached(a).expectFreed(b).expectValid();
  assert.equal(a.vm_end, 0x7000);

  /* Unmap it all: the pages were charged as mmap() charges them, so no WARN. */
  assert.equal(s.munmap(0x1000, 0x6000), 0);
  s.expectLayout('').expectDetached(a).expectWarnings(0);
  s.end();
}

if (require.main === module) {
  run(console.log);
  console.log('merge_fills_gap: ok');
}
