// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Example 3: an munmap that fails half-way.
 *
 * munmap() of a range that starts inside one VMA and ends inside another
 * must split both.  With the second preallocation failing (the harness's
 * fail_prealloc, armed for the Nth attempt), the first split is done and
 * stays, the second fails, and munmap() returns -ENOMEM: every VMA is
 * still attached with vm_refcnt 1, nothing is unmapped or leaked.
 */

import assert from 'node:assert/strict';
import { Scenario } from 'vma-harness';

const ENOMEM = 12;

/** Runs the scenario; throws (with a layout diagram) if the port misbehaves. */
export function run(log: (line: string) => void = () => {}): void {
  const s = new Scenario();
  const a = s.link(0x1000, 0x4000);
  const b = s.link(0x5000, 0x8000);
  s.expectLayout('AAA BBB');

  /* Unmap [0x2000, 0x7000): split A at 0x2000 (1st preallocation), B at 0x7000 (2nd: fails). */
  s.failNthPrealloc(2);
  assert.equal(s.munmap(0x2000, 0x5000), -ENOMEM);
  s.failNthPrealloc(0);
  log(s.diagram());

  /* The split of A happened (its lower part is a new VMA, C) and stays; nothing was unmapped. */
  const c = s.find(0x1000);
  assert.ok(c !== null && c !== a);
  s.expectLayout('CAA BBB');
  for (const v of [a, b, c]) s.expectAttached(v);
  s.expectValid();

  /*
   * The same munmap without the failure unmaps the range.  The upper end
   * of B is split off as a new VMA, E (D was the copy the failed split
   * allocated and freed again); B itself is unmapped and freed.
   */
  assert.equal(s.munmap(0x2000, 0x5000), 0);
  s.expectLayout('C     E').expectFreed(a).expectFreed(b).expectWarnings(0).expectValid();
  s.end();
}

if (require.main === module) {
  run(console.log);
  console.log('munmap_fails_halfway: ok');
}
