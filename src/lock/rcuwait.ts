// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rcuwait: one task sleeping until a condition holds
 * (include/linux/rcuwait.h; rcuwait_wake_up() and finish_rcuwait() are in
 * kernel/exit.c; struct rcuwait itself lives in include/linux/types.h).
 *
 * The waiter publishes itself in the slot, then loops: set its state (a full
 * barrier), test the condition, sleep.  The waker changes the condition,
 * issues a full barrier and wakes whoever is in the slot.  The two barriers
 * make this a store-buffering pair: at least one side sees the other's
 * store, so no wake-up is lost.  Only one waiter may use a slot at a time;
 * the caller serialises (for vma_writer_wait: the mmap write lock).
 */

import { Cell, rcu_assign_pointer, rcu_dereference, READ_ONCE, smp_mb } from './atomic';
import {
  __set_current_state,
  current,
  schedule,
  set_current_state,
  signal_pending_state,
  TASK_RUNNING,
  wake_up_process,
  type task_struct,
} from './sched';
import { at, step, type Gen, type Step } from './step';

/** struct rcuwait: the waiting task, or NULL. */
export class rcuwait {
  readonly task: Cell<task_struct | null>;

  /** @owner is the structure the slot is embedded in (the mm). */
  constructor(owner: object, name: string) {
    this.task = new Cell<task_struct | null>(owner, name, null);
  }
}

/** No task waits yet. */
export function rcuwait_init(w: rcuwait): void {
  w.task.v = null;
}

/** Is a task waiting?  (rcu_access_pointer: no ordering.) */
export function rcuwait_active(w: rcuwait): boolean {
  return READ_ONCE(w.task) !== null;
}

const S_WAKE = step('rcuwait_wake_up', 'smp_mb(); task = rcu_dereference(w->task)');
const S_WAKE_TASK = step('rcuwait_wake_up', 'wake_up_process(task)');

/** Wake the task waiting in @w, if any; returns whether one was woken. */
export function* rcuwait_wake_up(w: rcuwait): Gen<boolean> {
  let ret = false;
  /* rcu_read_lock(): the task cannot go away while we look at it. */
  yield at(S_WAKE, w.task.owner);
  /* (B): pairs with the barrier in set_current_state() of the waiter, (A). */
  smp_mb();
  const task = rcu_dereference(w.task);
  if (task) {
    yield at(S_WAKE_TASK, task);
    ret = wake_up_process(task);
  }
  /* rcu_read_unlock() */
  return ret;
}

const S_PREPARE = step('prepare_to_rcuwait', 'rcu_assign_pointer(w->task, current)');
const S_SET_STATE = step('rcuwait_wait_event', 'set_current_state(state)');
const S_FINISH = step('finish_rcuwait', 'rcu_assign_pointer(w->task, NULL)');

/** Publish the current task as the waiter. */
export function* prepare_to_rcuwait(w: rcuwait): Gen<void> {
  yield at(S_PREPARE, w.task.owner);
  rcu_assign_pointer(w.task, current);
}

/** Clear the waiter slot and run again. */
export function* finish_rcuwait(w: rcuwait): Gen<void> {
  yield at(S_FINISH, w.task.owner);
  rcu_assign_pointer(w.task, null);
  __set_current_state(TASK_RUNNING);
}

/**
 * rcuwait_wait_event(w, condition, state).  The condition is one shared
 * access, so it comes with its own step (@cond_step on @cond_subject).  A
 * task in TASK_UNINTERRUPTIBLE can only leave once the condition holds.
 * Returns 0, or -EINTR when a signal ends an interruptible wait.
 */
export function* rcuwait_wait_event(
  w: rcuwait,
  cond_step: Step,
  cond_subject: unknown,
  condition: () => boolean,
  state: number,
): Gen<number> {
  let ret = 0;
  yield* prepare_to_rcuwait(w);
  for (;;) {
    /* (A): the full barrier inside set_current_state(), see rcuwait_wake_up(). */
    yield at(S_SET_STATE, current);
    set_current_state(state);
    yield at(cond_step, cond_subject);
    if (condition()) break;

    if (signal_pending_state(state, current)) {
      ret = -4; /* -EINTR */
      break;
    }

    yield* schedule();
  }
  yield* finish_rcuwait(w);
  return ret;
}
