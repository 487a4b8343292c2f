// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Atomic steps and scheduling points of the lock model.
 *
 * Every access the v6.15 lock protocol makes to shared memory is one atomic
 * step.  The ported functions are generators that `yield` a Step just before
 * each such access; the value yielded says which kernel function makes the
 * access and what it is, and at() records the object it touches (the
 * subject).  Who drives a generator decides what a yield means:
 *
 *  - a page-fault reader or process exit is a step machine: the race
 *    explorer resumes it one step at a time (yield*), interleaving it with
 *    other actors;
 *  - a writer's ported operation in src/mm is synchronous; when it calls into
 *    the lock (through the stub layer) the generator is run by run_sync(),
 *    which hands each step to the installed Scheduler.  The scheduler may run
 *    steps of other actors before it returns, so the writer is interrupted
 *    exactly at its shared accesses.
 *
 * A step whose `blocked` predicate holds (a task asleep in schedule(), a
 * contended rwsem) cannot be taken; a scheduler only returns from point()
 * once it can, and never by spinning.  Without a scheduler, run_sync() runs
 * the steps straight through and a blocked step is a hang (KernelBug).
 */

import { KernelBug } from '../vma_internal/bug';

/** One kind of atomic step: the kernel function and the access it makes. */
export interface Step {
  /** Stable index of this step (in creation order). */
  readonly id: number;
  /** The kernel function making the access. */
  readonly fn: string;
  /** The access, in kernel terms (e.g. "atomic_try_cmpxchg_acquire(&vma->vm_refcnt)"). */
  readonly what: string;
  /** For a step that can wait: true while it cannot be taken (given its subject). */
  readonly blocked: ((subject: unknown) => boolean) | null;
  /** A busy-wait retry: schedulers should let someone else run first. */
  readonly spin: boolean;
}

const steps: Step[] = [];

/** Declare a step (once, at module level). */
export function step(
  fn: string,
  what: string,
  opts: { blocked?: (subject: unknown) => boolean; spin?: boolean } = {},
): Step {
  const s: Step = { id: steps.length, fn, what, blocked: opts.blocked ?? null, spin: opts.spin ?? false };
  steps.push(s);
  return s;
}

/** Every step declared so far (for reports and coverage). */
export function all_steps(): readonly Step[] {
  return steps;
}

/** The object the step about to be yielded touches (set by at()). */
export let step_subject: unknown = null;

/** The subject named by the last at() (for whoever resumes a generator). */
export function get_step_subject(): unknown {
  return step_subject;
}

/** Name the subject of @s and return @s, for `yield at(S_X, vma)`. */
export function at(s: Step, subject: unknown): Step {
  step_subject = subject;
  return s;
}

/** A ported lock function: yields one Step before each shared access. */
export type Gen<T> = Generator<Step, T, void>;

/** What drives the steps of synchronous callers (the race explorer). */
export interface Scheduler {
  /**
   * The running task is about to take step @s on @subject.  Returns when it
   * may (other tasks may have taken steps meanwhile).  Throws to abort a run.
   */
  point(s: Step, subject: unknown): void;
}

let scheduler: Scheduler | null = null;

/** Install the scheduler (null: run everything straight through). */
export function sched_install(s: Scheduler | null): void {
  scheduler = s;
}

/** The installed scheduler, if any. */
export function sched_current(): Scheduler | null {
  return scheduler;
}

/** A scheduling point taken from synchronous code (e.g. a plain store). */
export function sched_point(s: Step, subject: unknown): void {
  if (scheduler !== null) scheduler.point(s, subject);
  else if (s.blocked !== null && s.blocked(subject)) {
    throw new KernelBug('hang', `${s.fn}: ${s.what} can never proceed (no other task exists)`);
  }
}

/** Run a lock generator to completion from synchronous code. */
export function run_sync<T>(g: Gen<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    sched_point(r.value, step_subject);
  }
}
