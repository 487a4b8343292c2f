// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The validator's own picture of a trace's state: which VMAs exist (by id,
 * with their ranges and the attributes the precondition rules look at),
 * what the mm's page counters hold, and the fault switches.  It is kept
 * apart from the port: it never calls src/mm and never reads the
 * maple-tree stand-in; its ordered index is a structure of its own
 * (layout_index.ts), so a corrupted or looping tree cannot mislead it.
 *
 * LayoutView is what the rules (rules/) need to see; both this cheap
 * layout and the reference model (src/fuzz/model) implement it, so the
 * replayer and the fuzzer apply the same rules.  Every query here is
 * O(log n).
 */

import { objectArray, pageCounts, type PageCounts } from './arrays';
import { StartIndex } from './layout_index';
import type { AnonId, FileId, InjectPointName, VmOpsKind } from './types';

/** One VMA as the rules see it. */
export interface LayoutVma {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly pgoff: number;
  readonly flags: bigint;
  readonly anon: AnonId | null;
  readonly file: FileId | null;
  readonly ops: VmOpsKind;
  /** Entries on its anon_vma_chain. */
  readonly chain: number;
  /** The anon_vma those entries point at (null: entries without one, from a null set_anon). */
  readonly chainAnon: AnonId | null;
}

/** The mm's page counters (unsigned longs in the kernel; a negative value stands for a wrapped one). */
export interface LayoutCounters {
  readonly total: number;
  readonly locked: number;
  readonly data: number;
  readonly exec: number;
  readonly stack: number;
}

/** How an injection point is armed: qualifying calls still to pass, then to fail. */
export interface ArmedPoint {
  readonly after: number;
  readonly count: number;
}

/** The fault switches as the rules see them. */
export interface FaultView {
  readonly failPrealloc: boolean;
  readonly anyArmed: boolean;
  readonly maxMapCount: number;
  armedAt(point: InjectPointName): ArmedPoint | null;
}

/** What the precondition rules may ask about a trace's state. */
export interface LayoutView {
  /** The live VMA with this id. */
  byId(id: number): LayoutVma | undefined;
  /** Was this id ever handed out (so that a missing VMA was freed, not never allocated)? */
  wasAllocated(id: number): boolean;
  /** The last VMA ending at or below addr. */
  before(addr: number): LayoutVma | null;
  /** The first VMA starting at or above addr. */
  after(addr: number): LayoutVma | null;
  /** The first VMA intersecting [start, end). */
  firstIn(start: number, end: number): LayoutVma | null;
  /** The VMA right below / above v (touching or not). */
  below(v: LayoutVma): LayoutVma | null;
  above(v: LayoutVma): LayoutVma | null;
  /** Visit the VMAs intersecting [start, end) in address order; stop when fn returns true. */
  someIn(start: number, end: number, fn: (v: LayoutVma) => boolean): boolean;
  /** A VMA whose anon_vma_chain has entries without an anon_vma, if any. */
  nullChainVma(): LayoutVma | null;
  readonly counters: LayoutCounters;
  readonly faults: FaultView;
  readonly mapCount: number;
}

/** The layout fell out of step with the port (a port bug, or a step the rules should have refused). */
export class LayoutDriftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutDriftError';
  }
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/**
 * The cheap layout model the replayer keeps beside the port: an ordered index of
 * the VMAs by start address for lookups by address, and links between
 * neighbours in address order, so that a VMA's neighbours and a walk over a
 * range cost no tree search.
 */
export class TraceLayout implements LayoutView {
  private readonly index = new StartIndex<LayoutRecord>();
  /*
   * The live VMAs by id: ids are dense from 1 (the registry hands them out
   * in order), so an array, 8 bytes an id, where a Map took ~40 bytes a VMA.
   */
  private readonly ids: (LayoutRecord | undefined)[] = [undefined];
  private live = 0;
  private readonly nullChains = new Set<LayoutRecord>();
  /** The lowest VMA. */
  private head: LayoutRecord | null = null;
  /** How many VMA ids have been handed out. */
  allocated = 0;
  /* One shape with the refunds, doubles from the start (see pageCounts()). */
  counters: PageCounts = pageCounts();
  /** VM_LOCKED when the trace's last completed mlockall had MCL_FUTURE (what mm->def_flags adds to brk's pages), else 0. */
  defFlags = 0n;
  readonly faults = new LayoutFaults();

  byId(id: number): LayoutVma | undefined {
    return this.record(id);
  }

  /* The live record of VMA @id; any number may be asked (a trace names ids of its own). */
  private record(id: number): LayoutRecord | undefined {
    return Number.isInteger(id) && id >= 1 && id < this.ids.length ? this.ids[id] : undefined;
  }

  wasAllocated(id: number): boolean {
    return id >= 1 && id <= this.allocated;
  }

  /* The VMA with the highest start at or below addr. */
  private floor(addr: number): LayoutRecord | null {
    return this.index.floor(addr);
  }

  before(addr: number): LayoutVma | null {
    const c = this.floor(addr);
    if (c === null) return null;
    return c.end <= addr ? c : c.lower;
  }

  after(addr: number): LayoutVma | null {
    const c = this.floor(addr);
    if (c === null) return this.head;
    return c.start === addr ? c : c.upper;
  }

  firstIn(start: number, end: number): LayoutVma | null {
    const c = this.floor(start);
    if (c !== null && c.end > start) return c;
    const n = c === null ? this.head : c.upper;
    return n !== null && n.start < end ? n : null;
  }

  /* Only records of this layout are ever passed in: the rules get their VMAs from it. */
  below(v: LayoutVma): LayoutVma | null {
    return (v as LayoutRecord).lower;
  }

  above(v: LayoutVma): LayoutVma | null {
    return (v as LayoutRecord).upper;
  }

  someIn(start: number, end: number, fn: (v: LayoutVma) => boolean): boolean {
    /* Bounded by the number of VMAs in the range: each pass moves up one link. */
    for (let v = this.firstIn(start, end) as LayoutRecord | null; v !== null && v.start < end; v = v.upper) {
      if (fn(v)) return true;
    }
    return false;
  }

  nullChainVma(): LayoutVma | null {
    for (const v of this.nullChains) return v;
    return null;
  }

  get mapCount(): number {
    return this.live;
  }

  /** Every VMA in address order (for tests and messages; O(n)). */
  vmas(): LayoutVma[] {
    const out: LayoutVma[] = [];
    for (let v = this.head; v !== null; v = v.upper) out.push(v);
    return out;
  }

  /**
   * Bring the VMAs with the first @count ids up to date (an id may come twice): @read
   * returns the VMA's record with its range as it now is (the layout's own
   * record, updated, when it has one), or null when the VMA is gone (freed
   * or detached).  The others are untouched.  Throws LayoutDriftError when
   * the result overlaps.
   */
  update(ids: readonly number[], count: number, read: LayoutReader): void {
    const placed = this.placed;
    const changed = this.changed;
    let nPlaced = 0;
    let nChanged = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i];
      const old = this.record(id) ?? null;
      const oldStart = old === null ? 0 : old.start;
      const oldEnd = old === null ? 0 : old.end;
      const now = read.record(id, old);
      if (old !== null && (now === null || now.start !== oldStart)) {
        /* Gone or moved: out of the index and out of the links (a moved one goes back in below). */
        if (this.index.get(oldStart) === old) this.index.delete(oldStart);
        this.unlink(old);
      }
      if (now === null) {
        if (old !== null) {
          this.ids[id] = undefined;
          this.live--;
          if (this.nullChains.size !== 0) this.nullChains.delete(old);
        }
        continue;
      }
      if (now.chain > 0 && now.chainAnon === null) this.nullChains.add(now);
      else if (this.nullChains.size !== 0) this.nullChains.delete(now);
      if (old === null || now.start !== oldStart) {
        if (old === null) {
          /* A new VMA: ids arrive in order, so this grows the array by one at most (but pad, whatever comes). */
          while (this.ids.length <= id) this.ids.push(undefined);
          this.live++;
        }
        this.ids[id] = now;
        placed[nPlaced++] = now;
      } else if (now.end !== oldEnd) {
        changed[nChanged++] = now;
      }
    }
    for (let i = 0; i < nPlaced; i++) {
      const v = placed[i];
      if (!this.index.insert(v.start, v)) {
        const there = this.index.get(v.start) as LayoutRecord;
        throw new LayoutDriftError(`VMA ${v.id} [${hex(v.start)}, ${hex(v.end)}) starts where VMA ${there.id} [${hex(there.start)}, ${hex(there.end)}) does`);
      }
      /* Starts are whole addresses: the one below v is the floor of v.start - 1. */
      const lower = v.start > 0 ? this.index.floor(v.start - 1) : null;
      this.link(v, lower);
      changed[nChanged++] = v;
    }
    for (let i = 0; i < nChanged; i++) {
      const v = changed[i];
      const other = v.lower !== null && v.lower.end > v.start ? v.lower : v.upper !== null && v.upper.start < v.end ? v.upper : null;
      if (other !== null) {
        throw new LayoutDriftError(
          `VMA ${v.id} [${hex(v.start)}, ${hex(v.end)}) overlaps VMA ${other.id} [${hex(other.start)}, ${hex(other.end)}), which the step should not have touched`,
        );
      }
    }
  }

  /* Put v in the address-order links right after lower (first when null). */
  private link(v: LayoutRecord, lower: LayoutRecord | null): void {
    const upper = lower === null ? this.head : lower.upper;
    v.lower = lower;
    v.upper = upper;
    if (lower === null) this.head = v;
    else lower.upper = v;
    if (upper !== null) upper.lower = v;
  }

  private unlink(v: LayoutRecord): void {
    if (v.lower === null) {
      if (this.head === v) this.head = v.upper;
    } else {
      v.lower.upper = v.upper;
    }
    if (v.upper !== null) v.upper.lower = v.lower;
    v.lower = v.upper = null;
  }

  /* Scratch lists of update(). */
  private readonly placed: LayoutRecord[] = objectArray();
  private readonly changed: LayoutRecord[] = objectArray();
}

/**
 * The layout's record of a VMA: start and end are the layout's own (its
 * index keys, brought up to date by update()), and so are the links to the
 * neighbours in address order; the other attributes may be read from
 * wherever the owner keeps them.
 */
export interface LayoutRecord extends LayoutVma {
  start: number;
  end: number;
  lower: LayoutRecord | null;
  upper: LayoutRecord | null;
}

/*
 * Where update() reads a VMA's record from.  An object with a method, not a
 * callback: the replayer makes one per trace, and a method of one class is
 * the same call target every time where a new closure is not (V8 throws
 * away code compiled for the last one).
 */
export interface LayoutReader {
  /** The record of VMA @id with its range as it now is (@into, updated, when given), or null when the VMA is gone. */
  record(id: number, into: LayoutRecord | null): LayoutRecord | null;
}

/** The fault switches, as the trace's own steps set them and the stub layer reports them consumed. */
export class LayoutFaults implements FaultView {
  failPrealloc = false;
  maxMapCount = 0x1000000;
  private readonly armed = new Map<InjectPointName, ArmedPoint>();

  get anyArmed(): boolean {
    return this.armed.size > 0;
  }

  armedAt(point: InjectPointName): ArmedPoint | null {
    return this.armed.get(point) ?? null;
  }

  /** Set a point's arming (count 0: off). */
  arm(point: InjectPointName, count: number, after: number): void {
    if (count === 0) this.armed.delete(point);
    else this.armed.set(point, { after, count });
  }

  /** The points currently armed. */
  points(): InjectPointName[] {
    return [...this.armed.keys()];
  }
}
