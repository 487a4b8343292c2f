// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection as the model sees it: each of the stub layer's injection
 * points lets a number of qualifying calls pass and then fails a number of
 * them (TRACE_FORMAT.md, "Fault injection"); fail_prealloc fails every
 * preallocation while set; the fault sweep's one-shot switch fails the Nth
 * preallocation; sysctl_max_map_count caps the number of VMAs.  The model
 * asks at each place where the kernel calls one of these stubs, in the
 * kernel's order, and only for the calls the kernel's function could fail.
 */

import type { InjectPointName } from '../../trace/types';

/** sysctl_max_map_count's default in the harness. */
export const DEFAULT_MAX_MAP_COUNT = 0x1000000;

/** One armed injection point. */
interface Armed {
  /** Qualifying calls still to let through. */
  after: number;
  /** Qualifying calls still to fail after that. */
  count: number;
}

/** The fault switches of one mm, and what they did during the current step. */
export class Faults {
  private armed = new Map<InjectPointName, Armed>();
  failPrealloc = false;
  /** One-shot failure of the nth preallocation (0: off). */
  failNth = 0;
  preallocAttempts = 0;
  maxMapCount = DEFAULT_MAX_MAP_COUNT;
  /** Qualifying calls of each point seen since the last reset of the tally. */
  readonly calls = new Map<InjectPointName, number>();
  /** Points that failed a call during the current step, in order. */
  fired: InjectPointName[] = [];

  clone(): Faults {
    const f = new Faults();
    for (const [p, a] of this.armed) f.armed.set(p, { ...a });
    f.failPrealloc = this.failPrealloc;
    f.failNth = this.failNth;
    f.preallocAttempts = this.preallocAttempts;
    f.maxMapCount = this.maxMapCount;
    return f;
  }

  /**
   * Take over what a clone did during one step (see ModelState.adoptStep):
   * its switches and the points it fired; its calls are added to this tally.
   */
  adoptStep(t: Faults): void {
    this.armed = t.armed;
    this.failPrealloc = t.failPrealloc;
    this.failNth = t.failNth;
    this.preallocAttempts = t.preallocAttempts;
    this.maxMapCount = t.maxMapCount;
    this.fired = t.fired;
    for (const [p, n] of t.calls) this.calls.set(p, (this.calls.get(p) ?? 0) + n);
  }

  /** inject: pass `after` qualifying calls, then fail `count`; count 0 disarms. */
  arm(point: InjectPointName, count: number, after: number): void {
    if (count === 0) this.armed.delete(point);
    else this.armed.set(point, { after, count });
  }

  /** Is any point armed? */
  get anyArmed(): boolean {
    return this.armed.size > 0;
  }

  /** The arming of a point, or null. */
  armedAt(point: InjectPointName): Readonly<Armed> | null {
    return this.armed.get(point) ?? null;
  }

  /** A qualifying call of `point`: true when it fails. */
  fails(point: InjectPointName): boolean {
    this.calls.set(point, (this.calls.get(point) ?? 0) + 1);
    const a = this.armed.get(point);
    if (a === undefined) return false;
    if (a.after > 0) {
      a.after--;
      return false;
    }
    a.count--;
    if (a.count === 0) this.armed.delete(point);
    this.fired.push(point);
    return true;
  }

  /** One preallocation (vma_iter_prealloc): true when it fails. */
  preallocFails(): boolean {
    this.preallocAttempts++;
    if (this.failPrealloc) return true;
    return this.failNth !== 0 && this.preallocAttempts === this.failNth;
  }
}
