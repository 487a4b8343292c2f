// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reference model: what the address space must look like after each
 * vma-trace/1 operation, written independently of the port.
 *
 * The model keeps a sorted list of segments, one per VMA, each with its
 * attributes (range, pgoff, flags, anon_vma id, file id, vm_ops kind, its
 * anon_vma_chain), the identity the harness's registry would give it, and
 * the mm's page counters.  Every operation is described in its own terms:
 * which neighbours a merge may absorb, which ranges are split off, which
 * objects are allocated and freed and in what order, which VMAs are
 * write-locked, which stubs the operation asks and so which injected
 * failures it meets, how the page counters move.  From that it predicts a
 * complete TraceExpect for the step.
 *
 * The rules live by the kernel's seams, one module each under model/:
 *   merge.ts       merge rules, expand, split, vma_modify
 *   unmap.ts       munmap, vm_munmap, mmap (gathering, aborting)
 *   growth.ts      brk and stack expansion (the guard gap)
 *   gap.ts         vm_unmapped_area (the gap search)
 *   accounting.ts  the page counters
 *   locks.ts       take_all_locks, find_mergeable_anon_vma
 *   mlock.ts       mlockall / munlockall (an operation of this project)
 *   faults.ts      fault injection points, fail_prealloc, max_map_count
 *   validate.ts    which steps are valid input (the callers' preconditions)
 *
 * Validated against every oracle trace recorded from the C code
 * (tests/fuzz/model_oracle.test.ts), never against the port.
 */

import { ENOMEM } from '../vma_internal/constants';
import { toHex } from '../trace/hex';
import type { AnonFlags, TraceExpect, TraceStep, VmaRow } from '../trace/types';
import { brk, expandStack } from './model/growth';
import { unmappedArea } from './model/gap';
import { findMergeableAnonVma, takeAllLocks } from './model/locks';
import { expand, mergeExisting, mergeNew, modify, split, type Proposal } from './model/merge';
import { ModelRefusal, ModelState, pages, type Seg } from './model/state';
import { mlockall } from './model/mlock';
import { mmap, munmap, vmMunmap } from './model/unmap';
import { validateStep, type Invalid, type ValidateOptions } from './model/validate';

/** A segment of the model, and the refusal of a step the harness could not run. */
export { ModelRefusal, type Seg } from './model/state';
/** Why a step is not valid input, and how validation is asked. */
export type { Invalid, ValidateOptions } from './model/validate';

/** The reference model: its state, apply() to predict a step, validate() to vet one. */
export class VmaModel extends ModelState {
  /* The last valid step validate() tried on a clone, the clone and its expectation (see applyChecked()). */
  private kept: { step: TraceStep; stamp: number; model: VmaModel; expect: TraceExpect } | null = null;

  /** A deep copy (for trying a step without committing to it). */
  clone(): VmaModel {
    return new VmaModel(this);
  }

  /** Is the prealloc failure switch set? */
  get failPrealloc(): boolean {
    return this.faults.failPrealloc;
  }

  private need(id: number): Seg {
    const s = this.byId(id);
    if (!s) throw new Error(`model: VMA ${id} is not in the tree`);
    return s;
  }

  /* prev as the merge_existing / vma_modify callers pass it. */
  private prevFor(vma: Seg, start: number): Seg | null {
    return start > vma.start ? vma : this.below(vma);
  }

  /**
   * Run one step on the model and return the expectations it predicts.
   * The caller must have checked the step with validate().  With @p rows
   * false the layout (`vmas`) is left out, for callers that compare it
   * another way or do not need it; rows() gives it until the next step.
   */
  apply(step: TraceStep, rows = true): TraceExpect {
    this.beginStep();
    const e: TraceExpect = {};
    const f = this.faults;

    switch (step.op) {
      case 'alloc_and_link': {
        e.vma = null;
        if (f.fails('vm_area_alloc')) {
          this.took('err:alloc_and_link:vm_area_alloc');
          break;
        }
        const id = this.alloc();
        if (f.preallocFails()) {
          this.took('err:vma_link:vma_iter_prealloc');
          this.free(id);
          break;
        }
        this.insert({
          id,
          start: step.start,
          end: step.end,
          pgoff: step.pgoff,
          flags: step.flags,
          anon: null,
          file: null,
          ops: 'dummy',
          chain: 0,
          chainAnon: null,
        });
        e.vma = id;
        break;
      }
      case 'set_anon': {
        const s = this.need(step.vma);
        s.anon = step.anon;
        s.chain = step.chain;
        s.chainAnon = step.anon;
        break;
      }
      case 'set_ops':
        this.need(step.vma).ops = step.ops;
        break;
      case 'set_file':
        this.need(step.vma).file = step.file;
        break;
      case 'fail_prealloc':
        f.failPrealloc = step.value;
        break;
      case 'inject':
        f.arm(step.point, step.count, step.after);
        break;
      case 'set_max_map_count':
        f.maxMapCount = step.value;
        break;
      case 'merge_new': {
        const p: Proposal = {
          start: step.start,
          end: step.end,
          pgoff: step.pgoff,
          flags: step.flags,
          file: step.file ?? null,
          anon: step.anon ?? null,
        };
        const r = mergeNew(this, p, this.before(step.start), this.after(step.start));
        e.vma = r.vma ? r.vma.id : null;
        e.state = r.state;
        break;
      }
      case 'merge_existing': {
        const s = this.need(step.vma);
        const r = mergeExisting(this, s, this.prevFor(s, step.start), step.start, step.end, step.flags);
        e.vma = r.vma ? r.vma.id : null;
        e.state = r.state;
        break;
      }
      case 'modify_flags':
      case 'modify_flags_uffd':
      case 'modify_name': {
        const s = this.need(step.vma);
        const giveUp = step.op === 'modify_flags_uffd' && step.give_up_on_oom;
        const r = modify(this, s, this.prevFor(s, step.start), step.start, step.end, step.flags, giveUp);
        if (r.vma) {
          /* The caller write-locks the result and sets the new flags. */
          this.write(r.vma);
          r.vma.flags = step.flags;
          e.vma = r.vma.id;
        } else {
          e.vma = null;
          e.err = r.err;
        }
        break;
      }
      case 'modify_policy': {
        const s = this.need(step.vma);
        /* mbind's page walk write-locks the VMA first. */
        this.write(s);
        const r = modify(this, s, this.prevFor(s, step.start), step.start, step.end, s.flags);
        e.vma = r.vma ? r.vma.id : null;
        if (!r.vma) e.err = r.err;
        break;
      }
      case 'expand': {
        const s = this.need(step.vma);
        const next = step.next === null ? null : this.need(step.next);
        const out = expand(this, s, next, step.start, step.end, step.pgoff);
        e.err = out === 'ok' ? 0 : -ENOMEM;
        /* A failed anon_vma clone leaves the state alone. */
        e.state = out === 'nomem' ? 'ERROR_NOMEM' : 'START';
        break;
      }
      case 'shrink': {
        const s = this.need(step.vma);
        if (f.preallocFails()) {
          e.err = this.failed('err:vma_shrink:vma_iter_prealloc', -ENOMEM);
          break;
        }
        this.write(s);
        s.start = step.start;
        s.end = step.end;
        s.pgoff = step.pgoff;
        e.err = 0;
        break;
      }
      case 'split':
        e.err = split(this, this.need(step.vma), step.addr, step.new_below, true);
        break;
      case 'munmap':
        e.err = munmap(this, step.start, step.len);
        break;
      case 'vm_munmap':
        e.err = vmMunmap(this, step.start, step.len);
        break;
      case 'mmap': {
        const r = mmap(this, step.addr, step.len, step.flags, step.pgoff, step.file ?? null);
        if (r < 0) e.err = r;
        else e.addr = r;
        break;
      }
      case 'merge_extend': {
        const s = this.need(step.vma);
        const p: Proposal = {
          start: s.end,
          end: s.end + step.delta,
          pgoff: s.pgoff + pages(s.end - s.start),
          flags: s.flags,
          file: s.file,
          anon: s.anon,
        };
        const r = mergeNew(this, p, s, this.after(s.end));
        e.vma = r.vma ? r.vma.id : null;
        break;
      }
      case 'copy_vma':
        this.copyVma(step.vma, step.addr, step.len, step.pgoff, e);
        break;
      case 'brk':
        e.err = brk(this, step.start_brk, step.addr, step.len, step.flags);
        break;
      case 'vm_unmapped_area': {
        const r = unmappedArea(this, step);
        if (r < 0) e.err = r;
        else e.addr = r;
        break;
      }
      case 'expand_stack':
        e.err = expandStack(this, this.need(step.vma), step.addr);
        break;
      case 'find_mergeable_anon_vma':
        e.anon_vma = findMergeableAnonVma(this, this.need(step.vma));
        break;
      case 'take_all_locks': {
        const r = takeAllLocks(this);
        e.err = r.err;
        e.locked = r.locked;
        break;
      }
      case 'mlockall':
        e.err = mlockall(this, step.flags);
        break;
    }
    this.resort();
    return this.observe(step, e, rows);
  }

  /** validate.ts: the step was tried on @p t, a clone of this state, with expectation @p e. */
  keepTrial(step: TraceStep, t: VmaModel, e: TraceExpect): void {
    this.kept = { step, stamp: this.stamp, model: t, expect: e };
  }

  /**
   * apply(step, false) for a step validate() has just accepted in this very
   * state: the clone it was tried on (for the operations validation tries)
   * already holds the outcome, so this state takes it over instead of
   * running the step again.  Only for callers that change nothing between
   * the two calls (the fuzzer's commands); anything else uses apply().
   */
  applyChecked(step: TraceStep): TraceExpect {
    const k = this.kept;
    this.kept = null;
    if (k === null || k.step !== step || k.stamp !== this.stamp) return this.apply(step, false);
    this.adoptStep(k.model);
    return k.expect;
  }

  /* copy_vma: merge the copy into a neighbour, or make a new VMA. */
  private copyVma(srcId: number, addr: number, len: number, pgoffArg: number, e: TraceExpect): void {
    const f = this.faults;
    const src = this.need(srcId);
    let pgoff = pgoffArg;
    /* Never-faulted anonymous memory takes the destination's offset. */
    const unfaulted = src.ops === 'none' && src.anon === null;
    if (unfaulted) pgoff = pages(addr);
    const p: Proposal = { start: addr, end: addr + len, pgoff, flags: src.flags, file: src.file, anon: src.anon };
    const r = mergeNew(this, p, this.before(addr), this.after(addr));
    e.vmap = src.id;
    e.need_rmap_locks = false;
    if (r.vma) {
      let vmap = src;
      /* The source may have been merged into the copy: only if it was never faulted. */
      if (src.start >= r.vma.start && src.start < r.vma.end) {
        if (!unfaulted) throw new ModelRefusal('a faulted source would merge with its copy (VM_BUG_ON)');
        vmap = r.vma;
      }
      e.vma = r.vma.id;
      e.vmap = vmap.id;
      e.need_rmap_locks = r.vma.pgoff <= vmap.pgoff;
      return;
    }
    e.vma = null;
    if (f.fails('vm_area_dup')) {
      this.took('err:copy_vma:vm_area_dup');
      return;
    }
    const id = this.alloc();
    const neu: Seg = { ...src, id, start: addr, end: addr + len, pgoff, chain: 0, chainAnon: null };
    if (src.chain > 0 && f.fails('anon_vma_clone')) {
      this.took('err:copy_vma:anon_vma_clone');
      this.free(id);
      return;
    }
    this.mark(src.anon, 0);
    if (f.preallocFails()) {
      /* The harness's unlink_anon_vmas() dereferences the anon_vma. */
      if (neu.anon === null) throw new ModelRefusal('the harness crashes unlinking a copy without anon_vma');
      this.took('err:copy_vma:vma_link');
      this.mark(neu.anon, 1);
      this.free(id);
      return;
    }
    this.write(neu);
    this.insert(neu);
    e.vma = id;
  }

  /** The layout after the step just modelled, as vma-trace/1 rows. */
  rows(): VmaRow[] {
    return this.segs.map(
      (s): VmaRow => [
        s.id,
        toHex(s.start),
        toHex(s.end),
        toHex(s.pgoff),
        toHex(s.flags),
        s.anon,
        s.file,
        s.ops,
        1,
        this.written.has(s.id),
      ],
    );
  }

  /** The full expectation of the step just modelled (the layout only with @p rows). */
  private observe(step: TraceStep, e: TraceExpect, rows: boolean): TraceExpect {
    const out: TraceExpect = {};
    if (e.vma !== undefined) out.vma = e.vma;
    if (e.err !== undefined) out.err = e.err;
    if (e.addr !== undefined) out.addr = e.addr;
    if (e.state !== undefined) out.state = e.state;
    if (step.op === 'copy_vma') {
      out.vmap = e.vmap;
      out.need_rmap_locks = e.need_rmap_locks;
    }
    if (e.anon_vma !== undefined) out.anon_vma = e.anon_vma;
    if (e.locked !== undefined) out.locked = e.locked;
    out.map_count = this.segs.length;
    const c = this.counters;
    out.mm = { total_vm: c.total, locked_vm: c.locked, data_vm: c.data, exec_vm: c.exec, stack_vm: c.stack };
    if (rows) out.vmas = this.rows();
    if (this.freed.length) out.freed = this.freed;
    if (this.anonMarks.size) {
      const anon: Record<string, AnonFlags> = {};
      for (const id of [...this.anonMarks.keys()].sort((a, b) => a - b)) anon[String(id)] = this.anonMarks.get(id) as AnonFlags;
      out.anon = anon;
    }
    if (this.warnings) out.warnings = this.warnings;
    return out;
  }

  /**
   * Is the step a valid call of its kernel caller in this state, and one
   * that fires no warning?  Returns the reason it is not, or null.
   */
  validate(step: TraceStep, opts?: ValidateOptions): Invalid {
    return validateStep(this, step, opts);
  }
}
