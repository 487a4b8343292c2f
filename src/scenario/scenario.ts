// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Scenarios: a small API for writing one's own test of the port, without
 * the traps of driving the harness by hand.
 *
 * - new Scenario() resets the harness and makes a fresh mm the current
 *   task's mm, with one VMA iterator.
 * - link() allocates and links a VMA and, like the mmap() that would have
 *   made it, charges the mm's page counters, so unmapping it later does
 *   not warn about pages that were never charged.  The operations that map
 *   new pages (mergeNew, expand, mergeExtend, copyVma) charge them the way
 *   their kernel callers do, and shrink() uncharges what it gives up: the
 *   counters always match what is mapped.
 * - Every operation positions the iterator (and chooses prev) the way its
 *   kernel caller does, then calls the port: the same set-up the trace
 *   replayer uses (docs/TRACE_FORMAT.md, "Operations").
 * - layout() draws the mm as "AA B  CC"; the expect*() methods check
 *   layout, refcounts, attachment, frees, write marks, WARNs and the
 *   invariants of src/fuzz/invariants.ts, and throw a ScenarioError that
 *   shows the layout when one does not hold.
 *
 * One scenario runs at a time: the harness's state (allocation ids,
 * warnings, fault injection, the current task) is global, as in the C
 * harness.
 */

import { PAGE_SIZE, TASK_SIZE, UINT_MAX, VM_LOCKED, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE, type vm_flags_t } from '../vma_internal/constants';
import { warn_count, warn_records, warn_reset, type WarnRecord } from '../vma_internal/bug';
import { INIT_LIST_HEAD, list_add_tail } from '../vma_internal/list';
import { address_space, anon_vma, anon_vma_chain, file, mm_struct, type vm_area_struct, type vm_operations_struct } from '../vma_internal/structs';
import { IS_ERR, type ErrPtr } from '../vma_internal/err';
import { fail_nth_prealloc, set_fail_prealloc } from '../vma_internal/fault_inject';
import { vma_registry } from '../vma_internal/registry';
import { mas_walk } from '../vma_internal/maple_tree';
import { vma_start_write, vma_write_log_enable, vma_write_log_reset } from '../vma_internal/vma_lock';
import { vma_dummy_vm_ops } from '../vma_internal/vma_alloc';
import { VMA_ITERATOR, vma_iter_set, vma_prev, type Ref, type vma_iterator } from '../vma_internal/vma_iter';
import { current, vm_stat_account } from '../vma_internal/mm_stubs';
import { VMG_VMA_STATE, vma_merge_state_name, vma_merge_struct } from '../mm/vma_h';
import {
  copy_vma,
  do_vmi_munmap,
  mmap_region,
  split_vma,
  vma_expand,
  vma_merge_existing_range,
  vma_merge_extend,
  vma_modify_flags,
  vma_shrink,
} from '../mm/vma';
import { alloc_and_link_vma, cleanup_mm, dummy_close, harness_reset, merge_new, vmg_set_range } from '../harness/helpers';
import { mlockall_flags_valid, sys_mlockall, sys_munlockall } from '../harness/mlock';
import { checkInvariants, snapshotVmas, type VmaSnapshot } from '../fuzz/invariants';
import type { MergeStateName } from '../trace/types';
import { layoutDiagram, layoutString, normaliseLayout, vmaLetter } from './layout';

/** The flags link() and mergeNew() use unless told otherwise: read, write, may read, may write (0x33). */
export const DEFAULT_FLAGS: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;

/** vm_ops kinds: the harness's dummy ops (no close), ops with a close hook, or none (anonymous). */
export type OpsKind = 'dummy' | 'close' | 'none';

/** Attributes of a VMA or of a new range. */
export interface VmaAttributes {
  /** Page offset; default: start / PAGE_SIZE, so that neighbours' offsets run on. */
  readonly pgoff?: number;
  /** vm_flags; default DEFAULT_FLAGS. */
  readonly flags?: vm_flags_t;
  /** An anon_vma (Scenario.anonVma()), or null; default null. */
  readonly anon?: anon_vma | null;
  /** anon_vma_chain entries pointing at anon (0-2); default 1 when anon is set (a singular chain), else 0. */
  readonly chain?: 0 | 1 | 2;
  /** A file (Scenario.file()), or null; default null. */
  readonly file?: file | null;
  /** vm_ops; default 'dummy' (what vm_area_alloc() installs). */
  readonly ops?: OpsKind;
}


/** What a merge operation returned. */
export interface MergeOutcome {
  /** The VMA merged into, or null (no merge, or an error: see state). */
  readonly vma: vm_area_struct | null;
  readonly state: MergeStateName;
  /** The merge state itself, for a closer look (vmg.__remove_next and so on). */
  readonly vmg: vma_merge_struct;
}

/** An expectation of a scenario that does not hold. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const hex = (v: number): string => `0x${v.toString(16)}`;

function stateName(state: number): MergeStateName {
  return vma_merge_state_name(state).replace(/^VMA_MERGE_/, '') as MergeStateName;
}

/** A fresh mm to build layouts in and run the port's operations on. */
export class Scenario {
  readonly mm: mm_struct;
  /** The iterator the operations share, as a harness test's vmi. */
  readonly vmi: vma_iterator;
  /** The ops table whose close hook is set (ops: 'close'). */
  readonly closeOps: vm_operations_struct = Object.freeze({ close: dummy_close });
  private origin: number | null;
  private before: VmaSnapshot[] = [];
  private freedSinceOp: { id: number; refcnt: number }[] = [];
  private warnings: WarnRecord[] = [];
  private warningCount = 0;
  private ended = false;

  /** @p opts.origin fixes where layout() starts (default: the lowest address the scenario mapped). */
  constructor(opts: { readonly origin?: number } = {}) {
    harness_reset();
    vma_write_log_enable(true);
    this.mm = new mm_struct();
    current.mm = this.mm;
    this.vmi = VMA_ITERATOR(this.mm, 0);
    this.origin = opts.origin ?? null;
  }

  /** A new anon_vma (its own root, as anon_vma_alloc() makes it). */
  anonVma(): anon_vma {
    const av = new anon_vma();
    av.root = av;
    return av;
  }

  /** A new file with its own address_space. */
  file(): file {
    return new file(new address_space());
  }

  // -------------------------------------------------------------------------
  // Building layouts.

  /**
   * Allocate and link a VMA over [start, end) (which must be free), give it
   * @p attrs, and charge the mm's counters as the mmap() that made it would.
   */
  link(start: number, end: number, attrs: VmaAttributes = {}): vm_area_struct {
    this.checkRange('link', start, end);
    this.checkFree('link', start, end);
    const vma = this.op(() => alloc_and_link_vma(this.mm, start, end, attrs.pgoff ?? start / PAGE_SIZE, attrs.flags ?? DEFAULT_FLAGS));
    if (vma === null) throw new ScenarioError(`link [${hex(start)}, ${hex(end)}): alloc_and_link_vma() failed (fail_prealloc set?)`);
    this.setAttributes(vma, attrs);
    this.charge(vma.vm_flags, end - start);
    return vma;
  }

  /** Set a VMA's anon_vma (with @p chain chain entries), file or vm_ops directly, as the harness tests do. */
  setAttributes(vma: vm_area_struct, attrs: Omit<VmaAttributes, 'pgoff' | 'flags'>): void {
    if (attrs.anon !== undefined || attrs.chain !== undefined) {
      const av = attrs.anon ?? null;
      vma.anon_vma = av;
      INIT_LIST_HEAD(vma.anon_vma_chain);
      const n = attrs.chain ?? (av ? 1 : 0);
      for (let i = 0; i < n; i++) list_add_tail(new anon_vma_chain(av), vma.anon_vma_chain);
    }
    if (attrs.file !== undefined) vma.vm_file = attrs.file;
    if (attrs.ops !== undefined) vma.vm_ops = attrs.ops === 'none' ? null : attrs.ops === 'close' ? this.closeOps : vma_dummy_vm_ops;
  }

  // -------------------------------------------------------------------------
  // The port's operations, set up as their kernel callers set them up.

  /**
   * vma_merge_new_range() for a new range [start, end), as mmap() tries it:
   * next and prev found around the range, the iterator left on it.  On a
   * merge, the new pages are charged.  A VMA must exist below start.
   */
  mergeNew(start: number, end: number, attrs: Pick<VmaAttributes, 'pgoff' | 'flags' | 'anon' | 'file'> = {}): MergeOutcome {
    this.checkRange('mergeNew', start, end);
    this.checkFree('mergeNew', start, end);
    const flags = attrs.flags ?? DEFAULT_FLAGS;
    const vmg = new vma_merge_struct({ mm: this.mm, vmi: this.vmi });
    const vma = this.op(() => {
      vmg_set_range(vmg, start, end, attrs.pgoff ?? start / PAGE_SIZE, flags);
      vmg.anon_vma = attrs.anon ?? null;
      vmg.file = attrs.file ?? null;
      return merge_new(vmg);
    });
    if (vma) this.charge(flags, end - start);
    return { vma, state: stateName(vmg.state), vmg };
  }

  /**
   * vma_merge_existing_range() for [start, end) inside @p vma with new
   * @p flags, as mprotect() and friends ask it: prev is vma itself when
   * the range starts inside it, else the VMA before it.
   */
  mergeExisting(vma: vm_area_struct, start: number, end: number, flags: vm_flags_t): MergeOutcome {
    this.checkInside('mergeExisting', vma, start, end);
    const vmg = VMG_VMA_STATE(this.vmi, this.prevFor(vma, start), vma, start, end);
    vmg.flags = flags;
    const res = this.op(() => {
      vma_iter_set(this.vmi, start);
      return vma_merge_existing_range(vmg);
    });
    return { vma: res, state: stateName(vmg.state), vmg };
  }

  /**
   * mprotect() on [start, end) inside @p vma: vma_modify_flags(), then, on
   * success, the new flags set on the result (write-locked).  Returns the
   * VMA now covering the range, or a negative errno.
   */
  modifyFlags(vma: vm_area_struct, start: number, end: number, flags: vm_flags_t): vm_area_struct | number {
    this.checkInside('modifyFlags', vma, start, end);
    const res: vm_area_struct | ErrPtr = this.op(() => {
      const prev = this.prevFor(vma, start);
      vma_iter_set(this.vmi, start);
      const r = vma_modify_flags(this.vmi, prev, vma, start, end, flags);
      if (!IS_ERR(r)) {
        vma_start_write(r);
        r.__vm_flags = flags;
      }
      return r;
    });
    return IS_ERR(res) ? res.err : res;
  }

  /**
   * vma_expand(): grow @p vma to [start, end) (which must cover it), over
   * free space or through @p opts.next; the added pages are charged on
   * success.  Returns 0 or a negative errno, and the merge state.
   */
  expand(vma: vm_area_struct, start: number, end: number, opts: { readonly pgoff?: number; readonly next?: vm_area_struct | null } = {}): { err: number; state: MergeStateName } {
    this.checkRange('expand', start, end);
    if (start > vma.vm_start || end < vma.vm_end) throw new ScenarioError(`expand: [${hex(start)}, ${hex(end)}) does not cover vma#${vma.__id}`);
    const grow = end - start - (vma.vm_end - vma.vm_start) - (opts.next ? opts.next.vm_end - opts.next.vm_start : 0);
    const vmg = new vma_merge_struct({ mm: this.mm, vmi: this.vmi });
    const err = this.op(() => {
      vmg_set_range(vmg, start, end, opts.pgoff ?? vma.vm_pgoff - (vma.vm_start - start) / PAGE_SIZE, vma.vm_flags);
      vmg.middle = vma;
      vmg.next = opts.next ?? null;
      return vma_expand(vmg);
    });
    if (err === 0 && grow > 0) this.charge(vma.vm_flags, grow);
    return { err, state: stateName(vmg.state) };
  }

  /**
   * vma_shrink() of @p vma to [start, end) (keeping one end).  The pages
   * given up are uncharged, so the counters keep matching what is mapped
   * (the kernel's caller moves a stack: it expanded first).  Returns 0 or
   * a negative errno.
   */
  shrink(vma: vm_area_struct, start: number, end: number, pgoff: number = vma.vm_pgoff + (start - vma.vm_start) / PAGE_SIZE): number {
    this.checkInside('shrink', vma, start, end);
    const given = vma.vm_end - vma.vm_start - (end - start);
    const err = this.op(() => {
      vma_iter_set(this.vmi, vma.vm_start);
      return vma_shrink(this.vmi, vma, start, end, pgoff);
    });
    if (err === 0) this.charge(vma.vm_flags, -given);
    return err;
  }

  /** split_vma() of @p vma at @p addr; the new VMA is the lower part when @p newBelow. Returns 0 or a negative errno. */
  split(vma: vm_area_struct, addr: number, newBelow = false): number {
    if (addr <= vma.vm_start || addr >= vma.vm_end || addr % PAGE_SIZE) {
      throw new ScenarioError(`split: ${hex(addr)} is not a page boundary strictly inside vma#${vma.__id} [${hex(vma.vm_start)}, ${hex(vma.vm_end)})`);
    }
    return this.op(() => {
      vma_iter_set(this.vmi, vma.vm_start);
      return split_vma(this.vmi, vma, addr, newBelow ? 1 : 0);
    });
  }

  /** munmap(start, len): do_vmi_munmap() with the iterator at start. Returns 0 or a negative errno. */
  munmap(start: number, len: number): number {
    return this.op(() => {
      vma_iter_set(this.vmi, start);
      return do_vmi_munmap(this.vmi, this.mm, start, len, null, false);
    });
  }

  /** mmap_region() at [addr, addr + len) (MAP_FIXED: replaces what is there). Returns the address or a negative errno. */
  mmap(addr: number, len: number, attrs: Pick<VmaAttributes, 'pgoff' | 'flags' | 'file'> = {}): number {
    this.checkRange('mmap', addr, addr + len);
    this.noteOrigin(addr);
    return this.op(() => mmap_region(attrs.file ?? null, addr, len, attrs.flags ?? DEFAULT_FLAGS, attrs.pgoff ?? addr / PAGE_SIZE, null));
  }

  /** vma_merge_extend(): grow @p vma by @p delta bytes at its end, as mremap() does in place; charged on success. */
  mergeExtend(vma: vm_area_struct, delta: number): vm_area_struct | null {
    const flags = vma.vm_flags;
    this.checkRange('mergeExtend', vma.vm_end, vma.vm_end + delta);
    this.checkFree('mergeExtend', vma.vm_end, vma.vm_end + delta);
    const res = this.op(() => {
      vma_iter_set(this.vmi, vma.vm_end);
      return vma_merge_extend(this.vmi, vma, delta);
    });
    if (res) this.charge(flags, delta);
    return res;
  }

  /**
   * copy_vma(): copy @p len bytes of @p vma to [addr, addr + len) (which
   * must be free), as mremap() moves a mapping; the copy is charged.
   */
  copyVma(vma: vm_area_struct, addr: number, len: number, pgoff: number = vma.vm_pgoff): { vma: vm_area_struct | null; vmap: vm_area_struct; needRmapLocks: boolean } {
    this.checkRange('copyVma', addr, addr + len);
    this.checkFree('copyVma', addr, addr + len);
    const vmap: Ref<vm_area_struct> = { value: vma };
    const need: Ref<boolean> = { value: false };
    const res = this.op(() => copy_vma(vmap, addr, len, pgoff, need));
    if (res) this.charge(res.vm_flags, len);
    return { vma: res, vmap: vmap.value, needRmapLocks: need.value };
  }

  /** Make every preallocation fail (the harness's fail_prealloc) until called with false. */
  failPrealloc(on = true): this {
    set_fail_prealloc(on);
    return this;
  }

  /**
   * mlockall(flags) with the MCL_* bits (MCL_CURRENT 1, MCL_FUTURE 2,
   * MCL_ONFAULT 4), or munlockall() for 0, as v6.15's mm/mlock.c runs them
   * (src/harness/mlock.ts): every VMA is (un)locked through
   * vma_modify_flags(), errors of single VMAs are ignored.  Returns 0, or
   * -EINTR when killed waiting for the mmap lock.
   */
  mlockall(flags: number): number {
    if (flags !== 0 && !mlockall_flags_valid(flags)) throw new ScenarioError(`mlockall: flags ${String(flags)} are refused by mlockall() (-EINVAL)`);
    return this.op(() => (flags === 0 ? sys_munlockall() : sys_mlockall(flags)));
  }

  /** Let the next n - 1 preallocations succeed and fail the nth (0: stop failing). */
  failNthPrealloc(n: number): this {
    fail_nth_prealloc(n);
    return this;
  }

  // -------------------------------------------------------------------------
  // Looking at the result.

  /** The VMAs in the tree, in address order. */
  vmas(): vm_area_struct[] {
    return [...this.mm.mm_mt.ranges.entries()].map((r) => r.value);
  }

  /** The VMA containing @p addr, or null. */
  find(addr: number): vm_area_struct | null {
    return this.vmas().find((v) => v.vm_start <= addr && addr < v.vm_end) ?? null;
  }

  /** The letter layout() draws @p vma with: A for the first VMA allocated, and so on. */
  letter(vma: vm_area_struct): string {
    return vmaLetter(vma.__id);
  }

  /** The mm as one character per page from the origin: a letter per VMA, a space where nothing is mapped. */
  layout(): string {
    return layoutString(this.vmas(), this.layoutOrigin());
  }

  /** layout() with a ruler and a legend, for messages. */
  diagram(): string {
    return layoutDiagram(this.vmas(), this.layoutOrigin());
  }

  /** The WARN-class checks that fired since the scenario began (or clearWarnings()). */
  warningsFired(): readonly WarnRecord[] {
    return this.warnings;
  }

  /** Forget the warnings fired so far. */
  clearWarnings(): void {
    this.warnings = [];
    this.warningCount = 0;
  }

  /** Was vma_start_write() called on @p vma by the last operation? */
  written(vma: vm_area_struct): boolean {
    return vma.vm_lock_seq !== UINT_MAX;
  }

  // -------------------------------------------------------------------------
  // Expectations: each throws a ScenarioError showing the layout.

  /** The layout is @p expected ('.' may stand for a space; trailing spaces do not matter). */
  expectLayout(expected: string): this {
    const want = normaliseLayout(expected);
    const got = this.layout();
    if (got !== want) this.fail(`layout is "${got}", expected "${want}"`);
    return this;
  }

  /** @p vma has vm_refcnt @p n. */
  expectRefcount(vma: vm_area_struct, n: number): this {
    if (vma.vm_refcnt !== n) this.fail(`vma#${vma.__id} (${this.letter(vma)}) has vm_refcnt ${vma.vm_refcnt}, expected ${n}`);
    return this;
  }

  /** @p vma is in the tree, attached (vm_refcnt 1) and not freed. */
  expectAttached(vma: vm_area_struct): this {
    if (vma.__freed) this.fail(`vma#${vma.__id} (${this.letter(vma)}) was freed, expected attached`);
    if (!this.vmas().includes(vma)) this.fail(`vma#${vma.__id} (${this.letter(vma)}) is not in the tree, expected attached`);
    return this.expectRefcount(vma, 1);
  }

  /** @p vma is out of the tree and detached (vm_refcnt 0); it may have been freed. */
  expectDetached(vma: vm_area_struct): this {
    if (this.vmas().includes(vma)) this.fail(`vma#${vma.__id} (${this.letter(vma)}) is still in the tree, expected detached`);
    return this.expectRefcount(vma, 0);
  }

  /** @p vma was passed to vm_area_free() (detached, as it must be). */
  expectFreed(vma: vm_area_struct): this {
    if (!vma.__freed) this.fail(`vma#${vma.__id} (${this.letter(vma)}) was not freed`);
    return this.expectRefcount(vma, 0);
  }

  /** Exactly @p n WARN-class checks fired since the scenario began (or clearWarnings()). */
  expectWarnings(n = 0): this {
    if (this.warningCount !== n) {
      const list = this.warnings.map((w) => `  ${w.check}(${w.what}) in ${w.site}${w.subject ? ` on ${w.subject}` : ''}`).join('\n');
      this.fail(`${this.warningCount} WARN-class check(s) fired, expected ${n}${list ? `:\n${list}` : ''}`);
    }
    return this;
  }

  /**
   * The invariants the fuzzer checks after every command hold after the
   * last operation: the tree sorted, non-overlapping and matching its
   * VMAs, map_count, every VMA in the tree attached, frees detached, no
   * leak, changed VMAs write-locked, validate_mm(), and no WARN.
   */
  expectValid(): this {
    const errs = checkInvariants(this.mm, this.before, { freed: this.freedSinceOp.map((f) => [f.id, f.refcnt]) });
    /* checkInvariants() reads the warnings of the last operation only; those of the whole scenario are checked below. */
    const broken = errs.filter((e) => !e.startsWith('WARN-class checks fired'));
    if (broken.length) this.fail(`invariants broken:\n  ${broken.join('\n  ')}`);
    return this.expectWarnings(0);
  }

  /** Free every VMA and the tree (the harness's cleanup_mm()); returns how many VMAs there were. */
  end(): number {
    if (this.ended) return 0;
    this.ended = true;
    const n = cleanup_mm(this.mm, this.vmi);
    vma_write_log_enable(false);
    current.mm = null;
    return n;
  }

  // -------------------------------------------------------------------------

  /* Run one operation: reset the per-operation marks first, collect warnings and frees after. */
  private op<T>(f: () => T): T {
    if (this.ended) throw new ScenarioError('the scenario has ended');
    vma_write_log_reset();
    vma_registry.dropFreed();
    warn_reset();
    this.before = snapshotVmas();
    try {
      return f();
    } finally {
      this.freedSinceOp = vma_registry.takeFreed().map((e) => ({ id: e.id, refcnt: e.refcnt }));
      this.warningCount += warn_count();
      this.warnings.push(...warn_records());
      for (const v of this.vmas()) this.noteOrigin(v.vm_start);
    }
  }

  private charge(flags: vm_flags_t, bytes: number): void {
    const pages = bytes / PAGE_SIZE;
    vm_stat_account(this.mm, flags, pages);
    if (flags & VM_LOCKED) this.mm.locked_vm += pages;
  }

  private prevFor(vma: vm_area_struct, start: number): vm_area_struct | null {
    if (start > vma.vm_start) return vma;
    const it = VMA_ITERATOR(this.mm, vma.vm_start);
    mas_walk(it.mas);
    return vma_prev(it);
  }

  private noteOrigin(addr: number): void {
    if (this.origin === null || addr < this.origin) this.origin = addr;
  }

  private layoutOrigin(): number {
    return this.origin ?? 0;
  }

  private checkRange(fn: string, start: number, end: number): void {
    for (const [what, v] of [['start', start], ['end', end]] as const) {
      if (!Number.isSafeInteger(v) || v < 0 || v > TASK_SIZE) throw new ScenarioError(`${fn}: ${what} ${String(v)} is not an address up to TASK_SIZE`);
      if (v % PAGE_SIZE) throw new ScenarioError(`${fn}: ${what} ${hex(v)} is not page-aligned`);
    }
    if (start >= end) throw new ScenarioError(`${fn}: empty range [${hex(start)}, ${hex(end)})`);
    this.noteOrigin(start);
  }

  private checkFree(fn: string, start: number, end: number): void {
    const v = this.vmas().find((x) => x.vm_start < end && x.vm_end > start);
    if (v) throw new ScenarioError(`${fn}: [${hex(start)}, ${hex(end)}) overlaps vma#${v.__id} [${hex(v.vm_start)}, ${hex(v.vm_end)})\n${this.diagram()}`);
  }

  private checkInside(fn: string, vma: vm_area_struct, start: number, end: number): void {
    this.checkRange(fn, start, end);
    if (start < vma.vm_start || end > vma.vm_end) {
      throw new ScenarioError(`${fn}: [${hex(start)}, ${hex(end)}) is not inside vma#${vma.__id} [${hex(vma.vm_start)}, ${hex(vma.vm_end)})`);
    }
  }

  private fail(what: string): never {
    throw new ScenarioError(`${what}\n${this.diagram()}`);
  }
}
