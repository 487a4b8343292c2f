// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The actors of a race run and how they start: one writer thread per mm
 * and that mm's page-fault reader threads.  Each mm gets its initial layout
 * before anyone runs.  The last thread of an mm to finish drops the last
 * mm_users reference, which runs exit_mmap() and frees the mm (mmput() ->
 * __mmput() -> mmdrop()), as process exit does in the kernel.
 *
 * A writer runs its operations one by one, each under the mmap write lock
 * (or as a system call that takes it itself).  A reader faults its pages
 * the way the x86 fault handler does for a user fault: lock_vma_under_rcu();
 * if that gives the VMA, handle the fault holding it (reading its fields for
 * a few steps) and vma_end_read(); otherwise fall back to
 * lock_mm_and_find_vma() and handle the fault under the mmap read lock.
 */

import { PAGE_SIZE } from '../vma_internal/constants';
import { current as harness_current } from '../vma_internal/mm_stubs';
import type { Gen, Step } from '../lock';
import type { Actor, Explorer, RaceKernel } from './explorer';
import { makeFiles, RACE_BASE, resolveOp, type OpIntent, type WriterWorld } from './ops';
import type { ReaderPlan, Scenario } from './scenario';

/** The explorer's own steps (declared once per lock port), and the lock functions the threads call. */
interface ActorSteps {
  readonly start: Step;
  readonly syscall: Step;
  readonly op: Step;
  readonly fault: Step;
  readonly handle: Step;
  /* Looked up once: the module's re-export getters are slow. */
  readonly at: RaceKernel['at'];
  readonly mmap_write_lock: RaceKernel['mmap_write_lock'];
  readonly mmap_write_unlock: RaceKernel['mmap_write_unlock'];
  readonly mmap_read_unlock: RaceKernel['mmap_read_unlock'];
  readonly mmput: RaceKernel['mmput'];
  readonly lock_vma_under_rcu: RaceKernel['lock_vma_under_rcu'];
  readonly lock_mm_and_find_vma: RaceKernel['lock_mm_and_find_vma'];
  readonly vma_end_read: RaceKernel['vma_end_read'];
}

const stepsOf = new WeakMap<RaceKernel, ActorSteps>();

function actorSteps(K: RaceKernel): ActorSteps {
  let s = stepsOf.get(K);
  if (s === undefined) {
    s = {
      start: K.step('(thread)', 'start'),
      syscall: K.step('(syscall)', 'enter the system call'),
      op: K.step('(syscall)', 'run the operation under the mmap write lock'),
      fault: K.step('do_user_addr_fault', 'a user access faults'),
      handle: K.step('handle_mm_fault', "read the VMA's fields"),
      at: K.at,
      mmap_write_lock: K.mmap_write_lock,
      mmap_write_unlock: K.mmap_write_unlock,
      mmap_read_unlock: K.mmap_read_unlock,
      mmput: K.mmput,
      lock_vma_under_rcu: K.lock_vma_under_rcu,
      lock_mm_and_find_vma: K.lock_mm_and_find_vma,
      vma_end_read: K.vma_end_read,
    };
    stepsOf.set(K, s);
  }
  return s;
}

/** Create the mms, their layouts and every actor of @s. */
export function startActors(ex: Explorer, s: Scenario): void {
  const K = ex.K;
  const S = actorSteps(K);
  s.mms.forEach((plan, m) => {
    const mm = K.mm_alloc();
    ex.registerMm(mm);
    const world: WriterWorld = { mm, files: makeFiles() };
    const w = ex.addActor(`W${m + 1}`, 'writer', mm, S.start);

    /* The initial layout, while nothing else runs. */
    K.set_current(w.task);
    harness_current.mm = mm;
    K.run_sync(K.mmap_write_lock(mm));
    for (const op of plan.initial) resolveOp(op, world)?.run(ex.port);
    K.run_sync(K.mmap_write_unlock(mm));

    w.gen = writerThread(ex, w, world, plan.ops, S);
    plan.readers.forEach((rp, r) => {
      K.run_sync(K.mmget(mm));
      const a = ex.addActor(`R${m + 1}.${r + 1}`, 'reader', mm, S.start);
      a.gen = readerThread(ex, a, rp, S);
    });
  });
  K.set_current(K.init_task);
  harness_current.mm = null;
}

function* writerThread(ex: Explorer, a: Actor, world: WriterWorld, ops: readonly OpIntent[], S: ActorSteps): Gen<void> {
  const mm = a.mm;
  for (const op of ops) {
    if (op.kind === 'munmap' || op.kind === 'munmap!') {
      yield S.at(S.syscall, mm);
      const r = resolveOp(op, world);
      if (r === null) continue;
      ex.opStart(a, r.text, r.failNth);
      r.run(ex.port);
      ex.opEnd(a);
      continue;
    }
    yield* S.mmap_write_lock(mm);
    yield S.at(S.op, mm);
    const r = resolveOp(op, world);
    if (r !== null) {
      ex.opStart(a, r.text, r.failNth);
      r.run(ex.port);
      ex.opEnd(a);
    }
    ex.watch.writeHoldEnd(mm);
    yield* S.mmap_write_unlock(mm);
  }
  /* The thread exits. */
  yield* S.mmput(mm);
}

function* readerThread(ex: Explorer, a: Actor, plan: ReaderPlan, S: ActorSteps): Gen<void> {
  const mm = a.mm;
  for (const f of plan.faults) {
    const addr = RACE_BASE + f.page * PAGE_SIZE + 0x10;
    yield S.at(S.fault, mm);
    const vma = yield* S.lock_vma_under_rcu(mm, addr);
    if (vma !== null) {
      ex.watch.readerLocked(a, vma, addr, 'vma');
      for (let i = 0; i < f.hold; i++) {
        yield S.at(S.handle, vma);
        ex.watch.readerRead(a);
      }
      ex.watch.readerUnlocking(a);
      /* release_fault_lock() of a fault handled under the VMA lock */
      yield* S.vma_end_read(vma);
      continue;
    }
    /* lock_mmap: */
    const locked = yield* S.lock_mm_and_find_vma(mm, addr);
    if (locked === null) {
      ex.readerOutcome('no VMA (SIGSEGV)');
      continue;
    }
    ex.watch.readerLocked(a, locked, addr, 'mmap');
    for (let i = 0; i < f.hold; i++) {
      yield S.at(S.handle, locked);
      ex.watch.readerRead(a);
    }
    ex.watch.readerUnlocking(a);
    yield* S.mmap_read_unlock(mm);
  }
  /* The thread exits. */
  yield* S.mmput(mm);
}
