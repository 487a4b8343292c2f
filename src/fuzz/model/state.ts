// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model's state: a sorted list of segments, one per VMA, with the
 * attributes the rules look at, the identity the harness's registry would
 * give each object, the mm's page counters, the fault switches, and what
 * the current step did (write marks, frees, anon_vma marks, warnings, the
 * paths it took).  Lookups and bookkeeping only; the rules live in the
 * other modules of the model.
 */

import { PAGE_SIZE } from '../../vma_internal/constants';
import type { AnonFlags, AnonId, FileId, VmOpsKind } from '../../trace/types';
import type { LayoutView } from '../../trace/layout';
import { Faults } from './faults';

/** One VMA as the model sees it. */
export interface Seg {
  id: number;
  start: number;
  end: number;
  pgoff: number;
  flags: bigint;
  anon: AnonId | null;
  file: FileId | null;
  ops: VmOpsKind;
  /** Entries on its anon_vma_chain (whether it is empty or exactly 1 matters). */
  chain: number;
  /** The anon_vma those entries point at (set_anon's), or null. */
  chainAnon: AnonId | null;
}

/* A copy of a segment, field by field (cheaper than a spread for every trial's clone). */
function copySeg(s: Seg): Seg {
  return {
    id: s.id,
    start: s.start,
    end: s.end,
    pgoff: s.pgoff,
    flags: s.flags,
    anon: s.anon,
    file: s.file,
    ops: s.ops,
    chain: s.chain,
    chainAnon: s.chainAnon,
  };
}

/** Pages in a byte length. */
export const pages = (bytes: number): number => Math.floor(bytes / PAGE_SIZE);

/** The mm's page counters (unsigned longs in the kernel; kept signed here). */
export interface Counters {
  total: number;
  locked: number;
  data: number;
  exec: number;
  stack: number;
}

/* Nothing written, nothing marked: shared until a step writes or marks (never written to). */
const NONE_WRITTEN: Set<number> = new Set();
const NONE_MARKED: Map<number, AnonFlags> = new Map();

/** A step the kernel would BUG on, or that the harness cannot survive: not a valid input. */
export class ModelRefusal extends Error {}

/** The state every rule of the model works on (and a LayoutView for the shared precondition rules). */
export class ModelState implements LayoutView {
  segs: Seg[];
  protected nextId: number;
  faults: Faults;
  readonly counters: Counters;
  /** mm->def_flags: what mlockall(MCL_FUTURE) adds to brk's new pages. */
  defFlags: bigint;

  /* What the current step did. */
  written: ReadonlySet<number> = NONE_WRITTEN;
  freed: [number, number][] = [];
  anonMarks: ReadonlyMap<number, AnonFlags> = NONE_MARKED;
  warnings = 0;
  /** Named paths the step took (coverage of the rules and error paths). */
  paths: string[] = [];
  /** Steps begun so far (tells a caller whether the state moved since it last looked). */
  stamp = 0;

  /**
   * An empty state, or a copy of @p from's persistent state (not the step's
   * marks): built directly, not made empty and then overwritten (a copy is
   * made for the validation trial of many commands).
   */
  constructor(from?: ModelState) {
    if (from === undefined) {
      this.segs = [];
      this.nextId = 1;
      this.faults = new Faults();
      this.counters = { total: 0, locked: 0, data: 0, exec: 0, stack: 0 };
      this.defFlags = 0n;
      return;
    }
    this.segs = from.segs.map(copySeg);
    this.nextId = from.nextId;
    this.faults = from.faults.clone();
    const c = from.counters;
    this.counters = { total: c.total, locked: c.locked, data: c.data, exec: c.exec, stack: c.stack };
    this.defFlags = from.defFlags;
  }

  /**
   * Become @p t, a clone of this state that has just run one step (a
   * validation trial): its segments, counters and switches, and what the
   * step did.  The same as running that step here, without running it again.
   */
  protected adoptStep(t: ModelState): void {
    this.stamp++;
    this.segs = t.segs;
    this.nextId = t.nextId;
    this.faults.adoptStep(t.faults);
    const c = this.counters;
    const tc = t.counters;
    c.total = tc.total;
    c.locked = tc.locked;
    c.data = tc.data;
    c.exec = tc.exec;
    c.stack = tc.stack;
    this.defFlags = t.defFlags;
    this.written = t.written;
    this.freed = t.freed;
    this.anonMarks = t.anonMarks;
    this.warnings = t.warnings;
    this.paths = t.paths;
  }

  /** Forget what the previous step did. */
  beginStep(): void {
    this.stamp++;
    /* New containers only when the last step used them: an expectation may still hold the old ones. */
    if (this.written.size !== 0) this.written = NONE_WRITTEN;
    if (this.freed.length !== 0) this.freed = [];
    if (this.anonMarks.size !== 0) this.anonMarks = NONE_MARKED;
    this.warnings = 0;
    if (this.paths.length !== 0) this.paths = [];
    if (this.faults.fired.length !== 0) this.faults.fired = [];
  }

  get mapCount(): number {
    return this.segs.length;
  }

  /** The id the next allocation will get. */
  get nextVmaId(): number {
    return this.nextId;
  }

  /* Lookups --------------------------------------------------------------- */

  /* (Plain loops: these run many times per command, on a handful of segments.) */

  byId(id: number): Seg | undefined {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) if (segs[i].id === id) return segs[i];
    return undefined;
  }

  containing(addr: number): Seg | null {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.start <= addr && addr < s.end) return s;
    }
    return null;
  }

  /** The last VMA ending at or before addr. */
  before(addr: number): Seg | null {
    const segs = this.segs;
    let r: Seg | null = null;
    for (let i = 0; i < segs.length; i++) if (segs[i].end <= addr) r = segs[i];
    return r;
  }

  /** The first VMA starting at or after addr. */
  after(addr: number): Seg | null {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) if (segs[i].start >= addr) return segs[i];
    return null;
  }

  /** The first VMA intersecting [start, end). */
  firstIn(start: number, end: number): Seg | null {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.end > start && s.start < end) return s;
    }
    return null;
  }

  isFree(start: number, end: number): boolean {
    return this.firstIn(start, end) === null;
  }

  /** The VMA right below seg in the address space (touching or not). */
  below(seg: Seg): Seg | null {
    const i = this.segs.indexOf(seg);
    return i > 0 ? this.segs[i - 1] : null;
  }

  /** The VMA right above seg in the address space (touching or not). */
  above(seg: Seg): Seg | null {
    const i = this.segs.indexOf(seg);
    return i >= 0 && i + 1 < this.segs.length ? this.segs[i + 1] : null;
  }

  /* What the shared precondition rules (src/trace/rules) ask besides (LayoutView). */

  /** Was this id ever handed out? */
  wasAllocated(id: number): boolean {
    return id >= 1 && id < this.nextId;
  }

  /** Visit the VMAs intersecting [start, end) in address order; stop when fn returns true. */
  someIn(start: number, end: number, fn: (v: Seg) => boolean): boolean {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.end > start && s.start < end && fn(s)) return true;
    }
    return false;
  }

  /** A VMA whose anon_vma_chain has entries without an anon_vma, if any. */
  nullChainVma(): Seg | null {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.chain > 0 && s.chainAnon === null) return s;
    }
    return null;
  }

  /* Bookkeeping ------------------------------------------------------------ */

  /** A new VMA object: the next id. */
  alloc(): number {
    return this.nextId++;
  }

  /** vm_area_free() of a detached VMA. */
  free(id: number): void {
    this.freed.push([id, 0]);
  }

  /** vma_start_write(). */
  write(s: Seg): void {
    const w = this.written === NONE_WRITTEN ? (this.written = new Set<number>()) : (this.written as Set<number>);
    w.add(s.id);
  }

  /** Mark an anon_vma cloned (0) or unlinked (1). */
  mark(anon: AnonId | null, which: 0 | 1): void {
    if (anon === null) return;
    const marks = this.anonMarks === NONE_MARKED ? (this.anonMarks = new Map<number, AnonFlags>()) : (this.anonMarks as Map<number, AnonFlags>);
    const cur = marks.get(anon) ?? [false, false];
    cur[which] = true;
    marks.set(anon, cur);
  }

  /** Record a named path (see coverage.ts). */
  took(path: string): void {
    this.paths.push(path);
  }

  /** Record an error path and return its error. */
  failed(path: string, err: number): number {
    this.paths.push(path);
    return err;
  }

  insert(s: Seg): void {
    let i = 0;
    while (i < this.segs.length && this.segs[i].start < s.start) i++;
    this.segs.splice(i, 0, s);
  }

  remove(s: Seg): void {
    this.segs.splice(this.segs.indexOf(s), 1);
  }

  resort(): void {
    const segs = this.segs;
    /* Most steps keep the order: check before sorting. */
    for (let i = 1; i < segs.length; i++) {
      if (segs[i - 1].start > segs[i].start) {
        segs.sort((a, b) => a.start - b.start);
        return;
      }
    }
  }
}
