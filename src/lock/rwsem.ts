// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A reader-writer semaphore (include/linux/rwsem.h), reduced to what
 * mmap_lock needs: down_read/up_read, down_write/up_write, downgrade_write,
 * the trylock, and the held-asserts.  The count is 0 when free, -1 while a
 * writer holds it and n while n readers do.  Acquiring is an acquire RMW,
 * releasing a release RMW.  Waiting is a blocked step (no queue, no
 * fairness: the scheduler decides who gets the lock when it is released).
 */

import { KernelBug } from '../vma_internal/bug';
import { atomic_fetch_sub_release, atomic_try_cmpxchg_acquire, Cell, type IntRef } from './atomic';
import { current, type task_struct } from './sched';
import { at, step, type Gen } from './step';

/** A reader-writer semaphore: mutual exclusion and blocking only (no fairness, hand-off or spinning). */
export class rw_semaphore {
  /** 0 free, -1 write-held, n > 0 read-held by n tasks. */
  readonly count: Cell<number>;
  /** The writer, while write-held (lockdep's view). */
  owner: task_struct | null = null;
  /** The tasks holding it for read. */
  readonly readers = new Set<task_struct>();

  constructor(readonly holder: object, readonly name: string) {
    this.count = new Cell<number>(holder, name, 0);
  }
}

const S_DOWN_READ = step('down_read', 'wait for no writer, then count + 1 (acquire)', {
  blocked: (s) => (s as rw_semaphore).count.v < 0,
});
const S_DOWN_WRITE = step('down_write', 'wait for a free lock, then count 0 -> -1 (acquire)', {
  blocked: (s) => (s as rw_semaphore).count.v !== 0,
});
const S_UP_READ = step('up_read', 'count - 1 (release)');
const S_UP_WRITE = step('up_write', 'count -1 -> 0 (release)');
const S_DOWNGRADE = step('downgrade_write', 'count -1 -> 1 (release)');
const S_TRYLOCK = step('down_read_trylock', 'count + 1 unless write-held (acquire)');

/* Add a reader unless a writer holds the lock (the CAS loop of the fast path). */
function read_trylock(sem: rw_semaphore): boolean {
  const old: IntRef = { value: sem.count.v }; /* only a first guess for the CAS */
  for (;;) {
    if (old.value < 0) return false;
    if (atomic_try_cmpxchg_acquire(sem.count, old, old.value + 1)) break;
  }
  sem.readers.add(current);
  return true;
}

/** Wait until no writer holds it, then hold it for read (acquire). */
export function* down_read(sem: rw_semaphore): Gen<void> {
  for (;;) {
    yield at(S_DOWN_READ, sem);
    if (read_trylock(sem)) return;
  }
}

/** No signals in the model: never interrupted. */
export function* down_read_killable(sem: rw_semaphore): Gen<number> {
  yield* down_read(sem);
  return 0;
}

/** Hold it for read if no writer holds it (acquire on success). */
export function* down_read_trylock(sem: rw_semaphore): Gen<boolean> {
  yield at(S_TRYLOCK, sem);
  return read_trylock(sem);
}

/** Release a read hold (release). */
export function* up_read(sem: rw_semaphore): Gen<void> {
  yield at(S_UP_READ, sem);
  if (!sem.readers.delete(current)) throw new KernelBug('rwsem', `up_read of ${sem.name} by a task not holding it`);
  atomic_fetch_sub_release(1, sem.count);
}

/** Wait until it is free, then hold it for write (acquire). */
export function* down_write(sem: rw_semaphore): Gen<void> {
  for (;;) {
    yield at(S_DOWN_WRITE, sem);
    if (atomic_try_cmpxchg_acquire(sem.count, { value: 0 }, -1)) break;
  }
  sem.owner = current;
}

/** down_write() that a signal could interrupt (none does in the model: 0). */
export function* down_write_killable(sem: rw_semaphore): Gen<number> {
  yield* down_write(sem);
  return 0;
}

/** Release the write hold (release). */
export function* up_write(sem: rw_semaphore): Gen<void> {
  yield at(S_UP_WRITE, sem);
  rwsem_assert_held_write(sem);
  sem.owner = null;
  atomic_fetch_sub_release(-1, sem.count);
}

/** Turn the write hold into a read hold without letting another writer in. */
export function* downgrade_write(sem: rw_semaphore): Gen<void> {
  yield at(S_DOWNGRADE, sem);
  rwsem_assert_held_write(sem);
  sem.owner = null;
  sem.readers.add(current);
  atomic_fetch_sub_release(-2, sem.count);
}

/** Held for read or write by the running task. */
export function rwsem_assert_held(sem: rw_semaphore): void {
  if (sem.owner !== current && !sem.readers.has(current)) {
    throw new KernelBug('lockdep', `${sem.name} is not held by ${current.describe()}`);
  }
}

/** Held for write by the running task. */
export function rwsem_assert_held_write(sem: rw_semaphore): void {
  if (sem.owner !== current) {
    throw new KernelBug('lockdep', `${sem.name} is not write-held by ${current.describe()}`);
  }
}
