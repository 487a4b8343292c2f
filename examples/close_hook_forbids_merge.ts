// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Example 2: a merge that a close hook forbids.
 *
 * The same layout as merge_fills_gap, but the upper VMA has a vm_ops->close
 * hook.  Merging the gap with both neighbours would remove (and so close)
 * the upper VMA, which v6.15 never does: the new range joins the lower
 * VMA only, and the upper VMA is left untouched (not even write-locked).
 */

import assert from 'node:assert/strict';
import { Scenario } from 'vma-harness';

/** Runs the scenario; throws (with a layout diagram) if the port misbehaves. */
export function run(log: (line: string) => void = () => {}): void {
  const s = new Scenario();
  const a = s.link(0x1000, 0x3000);
  const b = s.link(0x5000, 0x7000, { ops: 'close' });
  s.expectLayout('AA  BB');

  const m = s.mergeNew(0x3000, 0x5000);
  assert.equal(m.state, 'SUCCESS');
  assert.equal(m.vma, a);
  log(s.diagram());

  /* A grew over the gap; B, with its close hook, is still there. */
  s.expectLayout('AAAABB').expectAttached(a).expectAttached(b).expectValid();
  assert.equal(s.written(b), false, 'B was not touched');

  /* Without the hook, the same merge takes B too (see merge_fills_gap). */
  s.end();
}

if (require.main === module) {
  run(console.log);
  console.log('close_hook_forbids_merge: ok');
}
