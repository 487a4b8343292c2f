// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How the replayer's layout (layout.ts) learns what a step did, without
 * trusting the tree: before the step it notes which VMAs the step may touch
 * (from its own layout: the VMAs the step names, those in the range it
 * works on, and their neighbours, which a merge may change or remove), and
 * afterwards it re-reads exactly those VMA objects, plus the ones the step
 * allocated (the ids past the last one handed out).  A VMA that was freed
 * or detached leaves the layout.
 *
 * The page counters are worked out from the step itself and its result,
 * never read from the mm: a completed unmap takes the pieces it unmapped
 * back, by class (accounting.ts); a successful mmap charges its range by
 * the flags of the VMA that now holds it; brk charges data pages (and
 * locked ones after mlockall(MCL_FUTURE), which the layout notes from the
 * trace's own mlockall steps); expand_stack charges the pages the stack
 * grew by.  mlockall may merge anywhere, so it re-reads every VMA (the
 * kernel's walk is O(n) too), and locked_vm moves by the VM_LOCKED pages
 * the VMAs gained or lost: mlock_fixup() counts exactly the VMAs it
 * changed, and a merge only joins VMAs whose lock bits already agree.  The injection points
 * are armed by the trace's own inject steps and consumed by the qualifying
 * calls the stub layer counted during the step.
 */

import { PAGE_SIZE, VM_LOCKED, VM_SEALED } from '../vma_internal/constants';
import { fault_calls } from '../vma_internal/fault_inject';
import type { LayoutReader, LayoutVma, TraceLayout } from './layout';
import { addPages, noRefund, type Refund } from './rules/accounting';
import { TASK_SIZE } from './rules/common';
import { MCL_FUTURE, mlockallWalks } from './rules/mlock';
import type { InjectPointName, TraceStep } from './types';

/** The result of a step, as far as the counters care. */
export interface StepResult {
  readonly err?: number;
  readonly addr?: number;
}

/* The range a munmap/vm_munmap really unmaps ([start, end) into @out), or false when do_vmi_munmap() refuses it. */
function munmapRange(start: number, len: number, out: Float64Array): boolean {
  if (start % PAGE_SIZE !== 0 || start > TASK_SIZE || len > TASK_SIZE - start) return false;
  const aligned = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (aligned === 0) return false;
  out[0] = start;
  out[1] = start + aligned;
  return true;
}

/**
 * Keeps a TraceLayout in step with the port: begin() before each step
 * notes what the step may touch, end() afterwards re-reads it.  One
 * learner per layout; it reuses its scratch state from step to step.
 */
export class LayoutLearner {
  private step: TraceStep | null = null;
  /** The VMAs the step may touch, maybe more than once (the first nIds). */
  private readonly ids: number[] = [];
  private nIds = 0;
  /** Ids handed out before the step. */
  private allocated = 0;
  /** The range the step unmaps, if it unmaps, and what unmapping it takes back. */
  private unmaps = false;
  /* Doubles from the start (addresses reach past V8's small integers): a fresh array per trace would change its kind at the first high address. */
  private readonly range = new Float64Array(2);
  private readonly refund: Refund = noRefund();
  private readonly scratch: Refund = noRefund();
  /** The stack's start before expand_stack. */
  private stackStart = 0;
  /** VM_LOCKED pages of all VMAs before a walking mlockall. */
  private lockedBefore = -1;
  /** Qualifying calls each armed point had seen (valid while callsNoted; one map, cleared per step). */
  private readonly calls = new Map<InjectPointName, number>();
  private callsNoted = false;

  constructor(
    private readonly l: TraceLayout,
    /** The record of VMA id as it now is (see TraceLayout.update()). */
    private readonly read: LayoutReader,
  ) {}

  /*
   * Note @id among the VMAs the step may touch.  The array grows by push()
   * and is written in place once big enough: no out-of-bounds store, which
   * V8 would deoptimise for at the first steps of each trace (a learner is
   * made per trace and starts empty).
   */
  private note(id: number): void {
    const n = this.nIds++;
    if (n < this.ids.length) this.ids[n] = id;
    else this.ids.push(id);
  }

  private add(v: LayoutVma | null | undefined): void {
    if (v) this.note(v.id);
  }

  private addNamed(id: number): LayoutVma | undefined {
    const v = this.l.byId(id);
    if (v) this.note(id);
    return v;
  }

  /* The VMAs in [start, end) and what unmapping them takes back, in one walk. */
  private addUnmapped(start: number, end: number): void {
    const l = this.l;
    const r = this.refund;
    r.total = r.locked = r.exec = r.stack = r.data = 0;
    this.unmaps = true;
    this.range[0] = start;
    this.range[1] = end;
    let sealed = false;
    for (let v = l.firstIn(start, end); v !== null && v.start < end; v = l.above(v)) {
      this.note(v.id);
      const flags = v.flags;
      if (flags & VM_SEALED) sealed = true;
      else addPages(r, flags, (Math.min(end, v.end) - Math.max(start, v.start)) / PAGE_SIZE);
    }
    /* A sealed VMA makes the unmap fail with -EPERM: nothing is taken back. */
    if (sealed) r.total = r.locked = r.exec = r.stack = r.data = 0;
  }

  /** Note what @step may touch, before it runs; @allocated: ids handed out so far. */
  begin(step: TraceStep, allocated: number): void {
    const l = this.l;
    this.step = step;
    this.nIds = 0;
    this.allocated = allocated;
    this.unmaps = false;
    switch (step.op) {
      case 'set_anon':
      case 'set_ops':
      case 'set_file':
      case 'shrink':
      case 'split':
        this.addNamed(step.vma);
        break;
      case 'merge_new':
        this.add(l.before(step.start));
        this.add(l.after(step.start));
        break;
      case 'merge_existing':
      case 'modify_flags':
      case 'modify_flags_uffd':
      case 'modify_name':
      case 'modify_policy':
      case 'expand': {
        const v = this.addNamed(step.vma);
        if (v) {
          this.add(l.below(v));
          this.add(l.above(v));
        }
        if (step.op === 'expand' && step.next !== null) this.addNamed(step.next);
        break;
      }
      case 'munmap':
      case 'vm_munmap':
        if (munmapRange(step.start, step.len, this.range)) this.addUnmapped(this.range[0], this.range[1]);
        break;
      case 'mmap': {
        const end = step.addr + step.len;
        this.addUnmapped(step.addr, end);
        this.add(l.before(step.addr));
        this.add(l.after(end));
        break;
      }
      case 'merge_extend': {
        const v = this.addNamed(step.vma);
        if (v) this.add(l.after(v.end));
        break;
      }
      case 'copy_vma':
        this.addNamed(step.vma);
        this.add(l.before(step.addr));
        this.add(l.after(step.addr));
        break;
      case 'brk':
        this.add(l.before(step.addr));
        this.add(l.after(step.addr));
        break;
      case 'expand_stack': {
        const v = this.addNamed(step.vma);
        if (v) {
          this.add(l.below(v));
          this.stackStart = v.start;
        }
        break;
      }
      case 'mlockall':
        /* The walk may change any VMA: every one is re-read afterwards. */
        if (mlockallWalks(step.flags)) {
          for (let v = l.after(0); v !== null; v = l.above(v)) this.note(v.id);
          this.lockedBefore = this.lockedPages();
        }
        break;
      default:
        break;
    }
    this.callsNoted = false;
    if (l.faults.anyArmed) {
      this.calls.clear();
      this.callsNoted = true;
      for (const p of l.faults.points()) this.calls.set(p, fault_calls(p));
    }
  }

  /* The pages of every VM_LOCKED VMA in the layout. */
  private lockedPages(): number {
    const l = this.l;
    let n = 0;
    for (let v = l.after(0); v !== null; v = l.above(v)) if (v.flags & VM_LOCKED) n += (v.end - v.start) / PAGE_SIZE;
    return n;
  }

  private charge(flags: bigint, pages: number, sign: 1 | -1): void {
    const r = this.scratch;
    r.total = r.locked = r.exec = r.stack = r.data = 0;
    addPages(r, flags, pages);
    this.apply(r, sign);
  }

  private apply(r: Refund, sign: 1 | -1): void {
    const c = this.l.counters;
    c.total += sign * r.total;
    c.locked += sign * r.locked;
    c.exec += sign * r.exec;
    c.stack += sign * r.stack;
    c.data += sign * r.data;
  }

  /**
   * After the step: re-read the touched VMAs and the new ones (@allocated:
   * ids handed out now), then the counters and the fault switches.
   */
  end(result: StepResult, allocated: number): void {
    const l = this.l;
    const step = this.step as TraceStep;
    for (let id = this.allocated + 1; id <= allocated; id++) this.note(id);
    l.update(this.ids, this.nIds, this.read);
    l.allocated = allocated;
    const ok = result.err === undefined || result.err === 0;
    switch (step.op) {
      case 'munmap':
      case 'vm_munmap':
        if (ok && this.unmaps) this.apply(this.refund, -1);
        break;
      case 'mmap':
        if (result.addr !== undefined) {
          this.apply(this.refund, -1);
          const holder = l.firstIn(step.addr, step.addr + 1);
          if (holder !== null) this.charge(holder.flags, step.len / PAGE_SIZE, 1);
        } else if (this.refund.total > 0 && l.firstIn(this.range[0], this.range[1]) === null) {
          /* Failed after clearing the range: vms_abort_munmap_vmas() left a gap and completed the unmap. */
          this.apply(this.refund, -1);
        }
        break;
      case 'brk':
        if (ok) {
          const n = step.len / PAGE_SIZE;
          l.counters.total += n;
          l.counters.data += n;
          if ((step.flags | l.defFlags) & VM_LOCKED) l.counters.locked += n;
        }
        break;
      case 'expand_stack': {
        const v = l.byId(step.vma);
        if (ok && v && v.start < this.stackStart) this.charge(v.flags, (this.stackStart - v.start) / PAGE_SIZE, 1);
        break;
      }
      case 'fail_prealloc':
        l.faults.failPrealloc = step.value;
        break;
      case 'inject':
        l.faults.arm(step.point, step.count, step.after);
        break;
      case 'set_max_map_count':
        l.faults.maxMapCount = step.value;
        break;
      case 'mlockall':
        if (ok) {
          l.defFlags = step.flags & MCL_FUTURE ? VM_LOCKED : 0n;
          if (this.lockedBefore >= 0) l.counters.locked += this.lockedPages() - this.lockedBefore;
        }
        this.lockedBefore = -1;
        break;
      default:
        break;
    }
    /* Armed points: the qualifying calls of the step pass `after` of them first, then fail up to `count`. */
    if (this.callsNoted) {
      for (const [point, before] of this.calls) {
        const a = l.faults.armedAt(point);
        if (a === null) continue;
        const n = Math.max(0, fault_calls(point) - before);
        if (n === 0) continue;
        const passed = Math.min(a.after, n);
        const failed = Math.min(a.count, n - passed);
        l.faults.arm(point, a.count - failed, a.after - passed);
      }
    }
    this.step = null;
  }
}
