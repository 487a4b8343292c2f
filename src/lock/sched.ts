// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pieces of include/linux/sched.h and kernel/sched the lock relies on:
 * a task's state, current, set_current_state(), schedule() and
 * wake_up_process().
 *
 * A task asleep in schedule() is a blocked step: the scheduler cannot pick
 * it until wake_up_process() has made it TASK_RUNNING again.  A wake-up that
 * arrives between set_current_state() and schedule() makes schedule() return
 * at once, as in the kernel.
 */

import { KernelBug } from '../vma_internal/bug';
import { Cell, READ_ONCE, smp_mb, WRITE_ONCE } from './atomic';
import { at, step, type Gen } from './step';

/** Task states (only the ones the lock uses). */
export const TASK_RUNNING = 0x0000;
/** Asleep, a signal may wake it. */
export const TASK_INTERRUPTIBLE = 0x0001;
/** Asleep until woken. */
export const TASK_UNINTERRUPTIBLE = 0x0002;

/** The parts of struct task_struct the lock model uses. */
export class task_struct {
  /** TASK_* state; written by the task and by whoever wakes it. */
  readonly __state: Cell<number>;
  /** rcu_read_lock() nesting depth. */
  rcu_read_lock_nesting = 0;

  constructor(readonly pid: number, readonly comm: string) {
    this.__state = new Cell<number>(this, '__state', TASK_RUNNING);
  }

  describe(): string {
    return `${this.comm}[${this.pid}]`;
  }
}

/** The task running when no scheduler is installed (plain synchronous use). */
export const init_task: task_struct = new task_struct(0, 'swapper');

/** The running task; the race explorer switches it with set_current(). */
export let current: task_struct = init_task;

/** Make @t the running task (scheduler use only). */
export function set_current(t: task_struct): void {
  current = t;
}

/** smp_store_mb(current->__state, state): the barrier pairs with the waker's. */
export function set_current_state(state: number): void {
  WRITE_ONCE(current.__state, state);
  smp_mb();
}

/** Set the current task's state (no barrier). */
export function __set_current_state(state: number): void {
  WRITE_ONCE(current.__state, state);
}

/** No signals are ever sent in the model. */
export function signal_pending_state(_state: number, _p: task_struct): boolean {
  return false;
}

const S_SCHEDULE = step('schedule', 'sleep until woken (TASK_UNINTERRUPTIBLE)', {
  blocked: (t) => (t as task_struct).__state.v !== TASK_RUNNING,
});

/** Sleep: returns once the task is TASK_RUNNING again (at once if it already is). */
export function* schedule(): Gen<void> {
  yield at(S_SCHEDULE, current);
}

/** Wake @p if it sleeps; true if it was not running. */
export function wake_up_process(p: task_struct): boolean {
  /* try_to_wake_up(): fully ordered, state checked and set under p->pi_lock. */
  smp_mb();
  if (READ_ONCE(p.__state) === TASK_RUNNING) return false;
  WRITE_ONCE(p.__state, TASK_RUNNING);
  return true;
}

/*
 * RCU read-side critical sections.  They guarantee that a slab page of a
 * SLAB_TYPESAFE_BY_RCU cache is not given back while a reader looks at an
 * object in it (always true in the model, which never frees slab pages), and
 * nothing about an mm_struct, which is freed without waiting for RCU.  The
 * nesting is kept so that the model can assert where the kernel requires a
 * read-side section.
 */
export function rcu_read_lock(): void {
  current.rcu_read_lock_nesting++;
}

/** Leave an RCU read-side critical section. */
export function rcu_read_unlock(): void {
  if (current.rcu_read_lock_nesting <= 0) throw new KernelBug('RCU', `rcu_read_unlock() without rcu_read_lock() in ${current.describe()}`);
  current.rcu_read_lock_nesting--;
}

/** Is the current task in an RCU read-side critical section? */
export function rcu_read_lock_held(): boolean {
  return current.rcu_read_lock_nesting > 0;
}
