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

/* No point armed: shared by every Faults until one is armed (never written to). */
const NONE_ARMED: Map<InjectPointName, Armed> = new Map();

/* Calls logged before they are folded into the tally (see Faults.calls). */
const LOG_FOLD = 64;

/** The fault switches of one mm, and what they did during the current step. */
export class Faults {
  private armed: Map<InjectPointName, Armed> = NONE_ARMED;
  failPrealloc = false;
  /** One-shot failure of the nth preallocation (0: off). */
  failNth = 0;
  preallocAttempts = 0;
  maxMapCount = DEFAULT_MAX_MAP_COUNT;
  /*
   * The tally of qualifying calls: the calls are logged in order and folded
   * into the map when it is read (a model tried on a copy for every step
   * makes many Faults that are never asked; a map each was a cost).
   */
  private tally: Map<InjectPointName, number> | null = null;
  private log: InjectPointName[] = [];
  /** Points that failed a call during the current step, in order. */
  fired: InjectPointName[] = [];

  /** Qualifying calls of each point seen since the last reset of the tally (clear() resets it). */
  get calls(): Map<InjectPointName, number> {
    this.fold();
    return this.tally as Map<InjectPointName, number>;
  }

  /* Fold the logged calls into the tally, in the order they were made. */
  private fold(): void {
    const t = (this.tally ??= new Map());
    const log = this.log;
    if (log.length === 0) return;
    for (let i = 0; i < log.length; i++) t.set(log[i], (t.get(log[i]) ?? 0) + 1);
    this.log = [];
  }

  clone(): Faults {
    const f = new Faults();
    if (this.armed.size !== 0) {
      f.armed = new Map();
      for (const [p, a] of this.armed) f.armed.set(p, { ...a });
    }
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
    if (t.tally !== null) {
      this.fold();
      for (const [p, n] of t.tally) this.calls.set(p, (this.calls.get(p) ?? 0) + n);
    }
    for (let i = 0; i < t.log.length; i++) this.logCall(t.log[i]);
  }

  /* One qualifying call of @p point, for the tally. */
  private logCall(point: InjectPointName): void {
    this.log.push(point);
    if (this.log.length >= LOG_FOLD) this.fold();
  }

  /** inject: pass `after` qualifying calls, then fail `count`; count 0 disarms. */
  arm(point: InjectPointName, count: number, after: number): void {
    if (count === 0) {
      if (this.armed !== NONE_ARMED) this.armed.delete(point);
      return;
    }
    if (this.armed === NONE_ARMED) this.armed = new Map();
    this.armed.set(point, { after, count });
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
    this.logCall(point);
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
