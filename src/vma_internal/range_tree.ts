// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RangeTree: an ordered map from non-overlapping inclusive integer ranges
 * [index, last] to non-null values.  It is the storage layer underneath the
 * maple-tree stand-in used by the VMA code.
 *
 * Layout
 * ------
 * The structure is a B+ tree.  Every entry lives in a leaf; a leaf keeps its
 * entries in a plain array sorted by start (because ranges never overlap, the
 * array is sorted by end as well).  Leaves form a doubly linked list in key
 * order so that iteration and "next entry" queries never have to climb the
 * tree.
 *
 * An internal node holds its children plus three parallel number arrays that
 * summarise each child's subtree:
 *   keys[i]  - smallest `index` stored under child i (used for descent),
 *   lasts[i] - largest `last` stored under child i,
 *   gaps[i]  - widest hole strictly between two consecutive entries that both
 *              live under child i (0 when there is none).
 * The hole between two neighbouring children is not stored; it is simply
 * keys[i + 1] - lasts[i] - 1 and is computed on the fly.  With these
 * summaries the free-space searches can skip every subtree whose holes are
 * too small and finish in O(log n).
 *
 * Fill rules: every node other than the root holds between NODE_MIN and
 * NODE_MAX items (entries for a leaf, children for an internal node).  A root
 * leaf may hold anything from 0 to NODE_MAX entries; an internal root has at
 * least two children.  All leaves sit at the same depth.
 *
 * Values are never coalesced: two adjacent entries with equal values stay two
 * entries.  Entry objects are immutable once handed out; trimming an entry
 * always produces a fresh object.
 *
 * Every loop ends: binary searches halve [lo, hi) each pass (log2 NODE_MAX
 * passes); descents and the root-shortening loop move one level per pass
 * (the tree's height); the leaf walk of iteration visits each leaf once
 * (the leaf list is finite and acyclic); the for loops run over arrays of
 * at most NODE_MAX items or over a node's children; normalize() is bounded
 * by twice its node's children (see there).  Nothing here adds one to an
 * index in a loop, so values near 2^53 cannot stall one.
 */

/** One stored range together with its value. */
export interface RangeEntry<T> {
  readonly index: number;
  readonly last: number;
  readonly value: T;
}

/** Top of the index space (stands in for ULONG_MAX). */
export const RANGE_MAX: number = Number.MAX_SAFE_INTEGER;

/** Largest number of items a node may hold. */
const NODE_MAX = 32;
/** Smallest number of items a non-root node may hold. */
const NODE_MIN = NODE_MAX >> 1;

class Leaf<T> {
  readonly isLeaf: true = true;
  entries: RangeEntry<T>[];
  prev: Leaf<T> | null = null;
  next: Leaf<T> | null = null;

  constructor(entries: RangeEntry<T>[]) {
    this.entries = entries;
  }
}

class Inner<T> {
  readonly isLeaf: false = false;
  children: TreeNode<T>[];
  keys: number[];
  lasts: number[];
  gaps: number[];

  constructor(children: TreeNode<T>[], keys: number[], lasts: number[], gaps: number[]) {
    this.children = children;
    this.keys = keys;
    this.lasts = lasts;
    this.gaps = gaps;
  }
}

type TreeNode<T> = Leaf<T> | Inner<T>;

/*
 * check()'s walk state, one for all trees: check() runs no foreign code, so
 * no second walk can start inside one.  Holding the facts of the subtree
 * just checked here (rather than in an object per node) and checking leaf
 * links on the way (rather than collecting the leaves) keeps the validator,
 * which the fuzzer and the replayer run after every step, from allocating.
 */
class CheckWalk {
  /* Facts of the subtree checked last: entry count, lowest and highest index, widest hole. */
  count = 0;
  lo = 0;
  hi = 0;
  gap = 0;
  /** Depth of the first leaf met, -1 before it. */
  leafDepth = -1;
  /** Leaves met so far, and the last of them. */
  leaves = 0;
  lastLeaf: Leaf<unknown> | null = null;
  /** The first leaf with a wrong link (-1: none yet) and which link. */
  badLink = -1;
  badLinkNext = false;

  noteBadLink(leaf: number, next: boolean): void {
    if (this.badLink >= 0) return;
    this.badLink = leaf;
    this.badLinkNext = next;
  }
}

const CHECK_WALK = new CheckWalk();

function nodeSize<T>(node: TreeNode<T>): number {
  return node.isLeaf ? node.entries.length : node.children.length;
}

function makeEntry<T>(index: number, last: number, value: T): RangeEntry<T> {
  return { index, last, value };
}

/** Position of the first entry whose `last` is >= x (entries.length if none). */
function firstEndingAtOrAfter<T>(ents: RangeEntry<T>[], x: number): number {
  let lo = 0;
  let hi = ents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ents[mid].last < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Position of the first entry whose `index` is > x (entries.length if none). */
function firstStartingAfter<T>(ents: RangeEntry<T>[], x: number): number {
  let lo = 0;
  let hi = ents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ents[mid].index <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Child to follow when looking for x: the last child whose smallest index is
 * <= x, or child 0 when x lies before everything in the node.
 */
function childSlot(keys: number[], x: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? lo - 1 : 0;
}

/**
 * Lowest start of a block of `size` slots that fits both in the hole
 * [gapStart, gapEnd] and in the window [min, max]; -1 if it does not fit.
 * Written with differences so nothing exceeds the safe-integer range.
 */
function fitLowest(gapStart: number, gapEnd: number, min: number, max: number, size: number): number {
  const s = gapStart > min ? gapStart : min;
  const e = gapEnd < max ? gapEnd : max;
  return s <= e && e - s >= size - 1 ? s : -1;
}

/** Highest start for the same question as fitLowest; -1 if it does not fit. */
function fitHighest(gapStart: number, gapEnd: number, min: number, max: number, size: number): number {
  const s = gapStart > min ? gapStart : min;
  const e = gapEnd < max ? gapEnd : max;
  return s <= e && e - s >= size - 1 ? e - (size - 1) : -1;
}

function checkIndexArg(method: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(
      `RangeTree.${method}: ${name} must be an integer in [0, ${RANGE_MAX}], got ${String(v)}`,
    );
  }
}

function leftmostLeaf<T>(node: TreeNode<T>): Leaf<T> {
  let n = node;
  while (!n.isLeaf) n = n.children[0];
  return n;
}

function rightmostLeaf<T>(node: TreeNode<T>): Leaf<T> {
  let n = node;
  while (!n.isLeaf) n = n.children[n.children.length - 1];
  return n;
}

function countEntries<T>(node: TreeNode<T>): number {
  if (node.isLeaf) return node.entries.length;
  let total = 0;
  for (const c of node.children) total += countEntries(c);
  return total;
}

function unlinkLeaf<T>(leaf: Leaf<T>): void {
  const p = leaf.prev;
  const n = leaf.next;
  if (p !== null) p.next = n;
  if (n !== null) n.prev = p;
  leaf.prev = null;
  leaf.next = null;
}

/**
 * Replace ents[p .. p + removed) by the first `added` of x0, x1, x2 (each
 * non-null when used), moving the tail by hand: Array.prototype.splice
 * allocates an array of the removed items on every call, and stores are
 * the hot path.  The array stays packed (it never holds a hole).
 */
function replaceEntries<E>(ents: E[], p: number, removed: number, added: number, x0: E | null, x1: E | null, x2: E | null): void {
  const n = ents.length;
  const delta = added - removed;
  if (delta > 0) {
    /* Grow at the end first, then move the tail up, from the top down. */
    const fill = x0 as E;
    for (let k = 0; k < delta; k++) ents.push(fill);
    for (let k = n - 1; k >= p + removed; k--) ents[k + delta] = ents[k];
  } else if (delta < 0) {
    for (let k = p + removed; k < n; k++) ents[k + delta] = ents[k];
    for (let k = 0; k > delta; k--) ents.pop();
  }
  if (added > 0) ents[p] = x0 as E;
  if (added > 1) ents[p + 1] = x1 as E;
  if (added > 2) ents[p + 2] = x2 as E;
}

/*
 * Scratch stacks of storeRange()/fixUp(): the internal nodes visited on the
 * way down and which child was taken at each level.  Shared by every tree
 * (a store never runs inside another store's path repair), so that making a
 * tree, as every munmap does for its detached VMAs, allocates less.
 */
const pathNodes: Inner<unknown>[] = [];
const pathSlots: number[] = [];

/*
 * The root of every empty tree until its first store, shared for the same
 * reason (the port makes a tree for each mmap and each munmap, and most stay
 * empty).  Nothing writes to it: storeRange() gives a tree its own root
 * leaf before changing one, and check() verifies it is still empty.
 */
const EMPTY_ROOT: Leaf<never> = new Leaf<never>([]);

export class RangeTree<T> {
  private root: TreeNode<T> = EMPTY_ROOT;
  private count = 0;
  /*
   * The leaf the last locate() ended in; null after any change to the tree
   * (a store into a root leaf sets it again, see storeRange()).
   * A locate() of an address within that leaf's span (from its first start
   * up to the next leaf's first start) gives the same answer from there,
   * without a descent: walks and iterator steps locate near the last place.
   */
  private finger: Leaf<T> | null = null;
  /* Where the last locate() left off in the finger leaf: the first entry starting above its address. */
  private fingerK = 0;

  constructor() {}

  /** Number of entries currently stored. */
  get size(): number {
    return this.count;
  }

  /** Drops every entry. */
  clear(): void {
    this.finger = null;
    /* An empty root leaf has no neighbours: keep it. */
    if (this.count === 0 && this.root.isLeaf) return;
    this.root = EMPTY_ROOT;
    this.count = 0;
  }

  // ---------------------------------------------------------------- queries

  /** The entry whose range contains addr, or null. */
  lookup(addr: number): RangeEntry<T> | null {
    const e = this.floor(addr);
    return e !== null && e.last >= addr ? e : null;
  }

  /** The entry with the greatest start <= addr (it need not contain addr). */
  floor(addr: number): RangeEntry<T> | null {
    let node = this.root;
    while (!node.isLeaf) node = node.children[childSlot(node.keys, addr)];
    const ents = node.entries;
    const k = firstStartingAfter(ents, addr);
    return k > 0 ? ents[k - 1] : null;
  }

  /** Set by locate(): the entry with the greatest index <= addr, or null. */
  locatedFloor: RangeEntry<T> | null = null;
  /** Set by locate(): the first entry with index > addr, or null. */
  locatedNext: RangeEntry<T> | null = null;
  /** Set by locate(): the entry before locatedFloor, or null. */
  locatedPrev: RangeEntry<T> | null = null;

  /**
   * floor(addr), the entry after it and the one before it, in one descent
   * and without allocating; the results go to locatedFloor, locatedNext and
   * locatedPrev.  (The leaf a descent reaches starts at or below addr unless
   * addr lies below every entry, so the floor is always in that leaf.)
   */
  locate(addr: number): void {
    /*
     * Unchanged tree, and addr in the span the last answer holds for: from
     * its floor's start (or below everything) up to, not including, its
     * next entry's start (or above everything).  Failing that, one entry
     * up or down in the same leaf (a walk's step to the next or previous
     * slot) is checked before a binary search.
     */
    const fl = this.finger;
    if (fl !== null) {
      const f = this.locatedFloor;
      const nx = this.locatedNext;
      if ((f === null || addr >= f.index) && (nx === null || addr < nx.index)) return;
      const ents = fl.entries;
      const k = this.fingerK;
      if (nx !== null && addr >= nx.index) {
        if (k < ents.length && (k + 1 < ents.length ? addr < ents[k + 1].index : fl.next === null || addr < fl.next.entries[0].index)) {
          this.located(fl, k + 1);
          return;
        }
      } else if (k >= 2 && addr >= ents[k - 2].index) {
        this.located(fl, k - 1);
        return;
      }
    }
    let leaf = fl;
    if (
      leaf === null ||
      leaf.entries.length === 0 ||
      (leaf.prev !== null && addr < leaf.entries[0].index) ||
      (leaf.next !== null && addr >= leaf.next.entries[0].index)
    ) {
      let node = this.root;
      while (!node.isLeaf) node = node.children[childSlot(node.keys, addr)];
      leaf = node;
      this.finger = node;
    }
    this.located(leaf, firstStartingAfter(leaf.entries, addr));
  }

  /* locate()'s answer when the entries of @node before @k start at or below the address and the rest above it. */
  private located(node: Leaf<T>, k: number): void {
    const ents = node.entries;
    this.fingerK = k;
    if (k > 1) {
      this.locatedFloor = ents[k - 1];
      this.locatedPrev = ents[k - 2];
    } else if (k === 1) {
      this.locatedFloor = ents[0];
      const pl = node.prev;
      this.locatedPrev = pl !== null ? pl.entries[pl.entries.length - 1] : null;
    } else {
      this.locatedFloor = null;
      this.locatedPrev = null;
    }
    if (k < ents.length) this.locatedNext = ents[k];
    else this.locatedNext = node.next !== null ? node.next.entries[0] : null;
  }

  /** The entry with the smallest start >= addr, or null. */
  ceil(addr: number): RangeEntry<T> | null {
    let node = this.root;
    while (!node.isLeaf) node = node.children[childSlot(node.keys, addr)];
    const ents = node.entries;
    const k = firstStartingAfter(ents, addr);
    if (k > 0 && ents[k - 1].index === addr) return ents[k - 1];
    if (k < ents.length) return ents[k];
    const nx = node.next;
    return nx !== null ? nx.entries[0] : null;
  }

  /** Lowest entry, or null when empty. */
  first(): RangeEntry<T> | null {
    const leaf = leftmostLeaf(this.root);
    return leaf.entries.length > 0 ? leaf.entries[0] : null;
  }

  /** Highest entry, or null when empty. */
  lastEntry(): RangeEntry<T> | null {
    const ents = rightmostLeaf(this.root).entries;
    return ents.length > 0 ? ents[ents.length - 1] : null;
  }

  /**
   * Iterates entries in ascending order, beginning with the first one whose
   * `last` is >= from.  The iterator must not be used across a mutation.
   */
  entries(from: number = 0): IterableIterator<RangeEntry<T>> {
    checkIndexArg('entries', 'from', from);
    return this.iterateFrom(from);
  }

  /**
   * Every entry in ascending order, written into out[0], out[1], ... and
   * counted: a walk without an iterator object, for checks that run after
   * every step.  Returns the count; @p out keeps its length and whatever it
   * held past the count (emptying or truncating an array frees its storage,
   * and the next walk would allocate it again), so a caller that keeps
   * @p out clears the slots it no longer needs.
   */
  collect(out: (RangeEntry<T> | null)[]): number {
    let n = 0;
    let leaf: Leaf<T> | null = leftmostLeaf(this.root);
    while (leaf !== null) {
      const ents = leaf.entries;
      for (let k = 0; k < ents.length; k++) {
        if (n < out.length) out[n] = ents[k];
        else out.push(ents[k]);
        n++;
      }
      leaf = leaf.next;
    }
    return n;
  }

  private *iterateFrom(from: number): Generator<RangeEntry<T>, void, undefined> {
    let node = this.root;
    while (!node.isLeaf) node = node.children[childSlot(node.keys, from)];
    let leaf: Leaf<T> | null = node;
    let pos = firstEndingAtOrAfter(node.entries, from);
    while (leaf !== null) {
      const ents: RangeEntry<T>[] = leaf.entries;
      while (pos < ents.length) {
        yield ents[pos];
        pos++;
      }
      leaf = leaf.next;
      pos = 0;
    }
  }

  // ------------------------------------------------------------ free space

  /**
   * Lowest s such that [s, s + size - 1] lies within [min, max] and overlaps
   * no entry; null when there is none (including when min > max).
   */
  emptyArea(min: number, max: number, size: number): number | null {
    this.checkAreaArgs('emptyArea', min, max, size);
    if (min > max || max - min < size - 1) return null;
    if (this.count === 0) return min;
    const root = this.root;
    const lo = root.isLeaf ? root.entries[0].index : root.keys[0];
    const hi = root.isLeaf ? root.entries[root.entries.length - 1].last : root.lasts[root.lasts.length - 1];
    let r = lo > 0 ? fitLowest(0, lo - 1, min, max, size) : -1;
    if (r >= 0) return r;
    r = this.lowestIn(root, min, max, size);
    if (r >= 0) return r;
    r = hi < RANGE_MAX ? fitLowest(hi + 1, RANGE_MAX, min, max, size) : -1;
    return r >= 0 ? r : null;
  }

  /** Highest start with the same meaning as emptyArea; null when there is none. */
  emptyAreaRev(min: number, max: number, size: number): number | null {
    this.checkAreaArgs('emptyAreaRev', min, max, size);
    if (min > max || max - min < size - 1) return null;
    if (this.count === 0) return max - (size - 1);
    const root = this.root;
    const lo = root.isLeaf ? root.entries[0].index : root.keys[0];
    const hi = root.isLeaf ? root.entries[root.entries.length - 1].last : root.lasts[root.lasts.length - 1];
    let r = hi < RANGE_MAX ? fitHighest(hi + 1, RANGE_MAX, min, max, size) : -1;
    if (r >= 0) return r;
    r = this.highestIn(root, min, max, size);
    if (r >= 0) return r;
    r = lo > 0 ? fitHighest(0, lo - 1, min, max, size) : -1;
    return r >= 0 ? r : null;
  }

  private checkAreaArgs(method: string, min: number, max: number, size: number): void {
    checkIndexArg(method, 'min', min);
    checkIndexArg(method, 'max', max);
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`RangeTree.${method}: size must be a positive integer, got ${String(size)}`);
    }
  }

  /**
   * Lowest fitting start among the holes strictly between entries of the
   * subtree (not the holes at its outer edges); -1 if none.  Children are
   * entered only when their recorded widest hole is big enough and their span
   * meets the window, so only the children straddling min or max can make a
   * descent fail, which keeps the search logarithmic.
   */
  private lowestIn(node: TreeNode<T>, min: number, max: number, size: number): number {
    if (node.isLeaf) {
      const ents = node.entries;
      const n = ents.length;
      let i = firstStartingAfter(ents, min) - 1;
      if (i < 0) i = 0;
      for (; i + 1 < n; i++) {
        const gs = ents[i].last + 1;
        if (gs > max) return -1;
        const r = fitLowest(gs, ents[i + 1].index - 1, min, max, size);
        if (r >= 0) return r;
      }
      return -1;
    }
    const keys = node.keys;
    const lasts = node.lasts;
    const gaps = node.gaps;
    const n = keys.length;
    for (let ci = childSlot(keys, min); ci < n; ci++) {
      const k = keys[ci];
      if (k >= max) return -1;
      if (gaps[ci] >= size) {
        const ws = k + 1 > min ? k + 1 : min;
        const we = lasts[ci] - 1 < max ? lasts[ci] - 1 : max;
        if (ws <= we && we - ws >= size - 1) {
          const r = this.lowestIn(node.children[ci], min, max, size);
          if (r >= 0) return r;
        }
      }
      if (ci + 1 < n) {
        const r = fitLowest(lasts[ci] + 1, keys[ci + 1] - 1, min, max, size);
        if (r >= 0) return r;
      }
    }
    return -1;
  }

  /** Mirror image of lowestIn: highest fitting start, scanning right to left. */
  private highestIn(node: TreeNode<T>, min: number, max: number, size: number): number {
    if (node.isLeaf) {
      const ents = node.entries;
      const n = ents.length;
      let i = firstEndingAtOrAfter(ents, max) - 1;
      if (i > n - 2) i = n - 2;
      for (; i >= 0; i--) {
        const ge = ents[i + 1].index - 1;
        if (ge < min) return -1;
        const r = fitHighest(ents[i].last + 1, ge, min, max, size);
        if (r >= 0) return r;
      }
      return -1;
    }
    const keys = node.keys;
    const lasts = node.lasts;
    const gaps = node.gaps;
    const n = keys.length;
    for (let ci = childSlot(keys, max); ci >= 0; ci--) {
      if (ci + 1 < n) {
        const r = fitHighest(lasts[ci] + 1, keys[ci + 1] - 1, min, max, size);
        if (r >= 0) return r;
      }
      const hl = lasts[ci];
      if (hl <= min) return -1;
      if (gaps[ci] >= size) {
        const ws = keys[ci] + 1 > min ? keys[ci] + 1 : min;
        const we = hl - 1 < max ? hl - 1 : max;
        if (ws <= we && we - ws >= size - 1) {
          const r = this.highestIn(node.children[ci], min, max, size);
          if (r >= 0) return r;
        }
      }
    }
    return -1;
  }

  // ------------------------------------------------------------- mutation

  /**
   * Writes value over [index, last], or erases that span when value is null.
   * Entries wholly inside the span disappear; entries sticking out on either
   * side keep the part outside the span with their old value.
   */
  store(index: number, last: number, value: T | null): void {
    checkIndexArg('store', 'index', index);
    checkIndexArg('store', 'last', last);
    if (index > last) {
      throw new RangeError(`RangeTree.store: index ${index} is greater than last ${last}`);
    }
    this.storeRange(index, last, value);
  }

  /**
   * Common case: every entry touched by the store sits in one leaf, so the
   * change is a splice of that leaf followed by a repair walk back up the
   * recorded path.  Otherwise hand over to storeAcrossLeaves.
   */
  private storeRange(index: number, last: number, value: T | null): void {
    /* The last locate()'s answer, if the tree is unchanged since (see below). */
    const fl = this.finger;
    const fk = this.fingerK;
    const ff = this.locatedFloor;
    const fn = this.locatedNext;
    /* Set again below when the answer is known (a multi-leaf store comes back here). */
    this.finger = null;
    if (this.root === EMPTY_ROOT) {
      /* Erasing in an empty tree changes nothing. */
      if (value === null) return;
      /*
       * The first store: a root leaf of its own, made holding its entry (an
       * array of one, where the first push into an empty array makes room
       * for 16: a munmap's detached tree mostly holds one VMA), and
       * locate(index) answered, as below.
       */
      const leaf = new Leaf<T>([makeEntry(index, last, value)]);
      this.root = leaf;
      this.count = 1;
      this.finger = leaf;
      this.located(leaf, 1);
      return;
    }
    let node = this.root;
    let depth = 0;
    while (!node.isLeaf) {
      const slot = childSlot(node.keys, index);
      pathNodes[depth] = node as Inner<unknown>;
      pathSlots[depth] = slot;
      depth++;
      node = node.children[slot];
    }
    const leaf = node;
    const ents = leaf.entries;
    const n = ents.length;
    // Entries before p end before `index`; entries from q on start after `last`.
    let q: number;
    if (fl === leaf && (ff === null || index >= ff.index) && (fn === null || index < fn.index)) {
      /*
       * The stand-in walks to a range before it stores there, so the last
       * locate() mostly answered for index's span in this leaf: the entries
       * before fingerK start at or below index.  Step on over those that
       * start at or below last (the store removes or trims them anyway)
       * instead of a binary search.
       */
      q = fk;
      while (q < n && ents[q].index <= last) q++;
    } else {
      q = firstStartingAfter(ents, last);
    }
    /*
     * Entries end in the order they start, and each from q on ends after
     * `last`, so p is found below q by stepping over the entries the
     * store overlaps (it removes or trims them anyway): no second search.
     */
    let p = q;
    while (p > 0 && ents[p - 1].last >= index) p--;
    if (q === n && leaf.next !== null && leaf.next.entries[0].index <= last) {
      this.storeAcrossLeaves(leaf.next, ents, p, index, last, value);
      return;
    }
    if (p === q && value === null) return; // erasing a hole: nothing to do

    let left: RangeEntry<T> | null = null;
    let right: RangeEntry<T> | null = null;
    if (p < q) {
      const a = ents[p];
      if (a.index < index) left = makeEntry(a.index, index - 1, a.value);
      const b = ents[q - 1];
      if (b.last > last) right = makeEntry(last + 1, b.last, b.value);
    }
    const mid = value !== null ? makeEntry(index, last, value) : null;
    const removed = q - p;
    // Gather the (at most three) replacement entries in order.
    let x0: RangeEntry<T> | null = left;
    let x1: RangeEntry<T> | null = mid;
    let x2: RangeEntry<T> | null = right;
    if (x0 === null) {
      x0 = x1;
      x1 = x2;
      x2 = null;
    }
    if (x0 === null) {
      x0 = x1;
      x1 = null;
    }
    if (x1 === null) {
      x1 = x2;
      x2 = null;
    }
    const added = x0 === null ? 0 : x1 === null ? 1 : x2 === null ? 2 : 3;
    /*
     * The leaf's widest hole without a rescan, when its parent's record of
     * it is realised by a hole the splice leaves alone: the holes it
     * touches are those between entries p - 1 .. q (before) and
     * p - 1 .. p + added (after).  -1: rescan (refresh()).
     */
    let leafGap = -1;
    if (depth > 0) {
      const oldMax = pathNodes[depth - 1].gaps[pathSlots[depth - 1]];
      let oldLocal = 0;
      const hi = q < n ? q : n - 1;
      for (let a = p > 0 ? p - 1 : 0; a < hi; a++) {
        const g = ents[a + 1].index - ents[a].last - 1;
        if (g > oldLocal) oldLocal = g;
      }
      if (oldLocal < oldMax) leafGap = oldMax;
    }
    replaceEntries(ents, p, removed, added, x0, x1, x2);
    if (leafGap >= 0) {
      const m = ents.length;
      const hi = p + added < m ? p + added : m - 1;
      for (let b = p > 0 ? p - 1 : 0; b < hi; b++) {
        const g = ents[b + 1].index - ents[b].last - 1;
        if (g > leafGap) leafGap = g;
      }
    }
    this.count += added - removed;
    if (depth > 0 || ents.length > NODE_MAX) {
      this.fixUp(depth, leafGap);
    } else {
      /*
       * A root leaf that still fits needs no repair, and stays the leaf of
       * every address: locate(index) is answered now (the stand-in walks to
       * the stored range next).  The entries before p, and the remainder
       * on the left, start below index; the stored entry starts at it.
       */
      this.finger = leaf;
      this.located(leaf, p + (left !== null ? 1 : 0) + (mid !== null ? 1 : 0));
    }
  }

  /**
   * Rare case: the entries touched by the store run past the end of the
   * leaf.  Note the two remainders, bulk-remove every entry that starts in
   * the affected span, then put the remainders and the new entry back in
   * (each of those lands in a hole, so each is a single-leaf store).
   */
  private storeAcrossLeaves(
    nextLeaf: Leaf<T>,
    ents: RangeEntry<T>[],
    p: number,
    index: number,
    last: number,
    value: T | null,
  ): void {
    const firstHit = p < ents.length ? ents[p] : nextLeaf.entries[0];
    const lastHit = this.floor(last);
    if (lastHit === null) throw new Error('RangeTree: internal error, no entry at the end of a multi-leaf store');
    const firstIndex = firstHit.index;
    const firstValue = firstHit.value;
    const lastEnd = lastHit.last;
    const lastValue = lastHit.value;
    this.removeRange(firstIndex, last);
    if (firstIndex < index) this.storeRange(firstIndex, index - 1, firstValue);
    if (value !== null) this.storeRange(index, last, value);
    if (lastEnd > last) this.storeRange(last + 1, lastEnd, lastValue);
  }

  /**
   * Repairs the path recorded by storeRange after its leaf was spliced:
   * split what overflowed, merge or borrow for what underflowed, refresh the
   * summaries, and stop early once a level comes out unchanged.
   */
  private fixUp(depth: number, leafGap: number = -1): void {
    for (let d = depth - 1; d >= 0; d--) {
      const parent = pathNodes[d] as Inner<T>;
      const slot = pathSlots[d];
      const n = nodeSize(parent.children[slot]);
      if (n > NODE_MAX) this.splitChild(parent, slot);
      else if (n < NODE_MIN) this.mergeOrBorrow(parent, slot > 0 ? slot - 1 : slot);
      else if (!(d === depth - 1 && leafGap >= 0 ? this.refreshLeaf(parent, slot, leafGap) : this.refresh(parent, slot))) return;
    }
    const root = this.root;
    if (nodeSize(root) > NODE_MAX) {
      const top = new Inner<T>([root], [0], [0], [0]);
      this.root = top;
      this.splitChild(top, 0);
    } else if (!root.isLeaf && root.children.length === 1) {
      this.root = root.children[0];
    }
  }

  /**
   * Removes every entry whose start lies in [lo, hi].  Whole subtrees inside
   * the span are cut out in one go, so the cost is O(log n) plus the number
   * of entries removed.
   */
  private removeRange(lo: number, hi: number): void {
    const root = this.root;
    if (root.isLeaf) {
      const ents = root.entries;
      const a = firstStartingAfter(ents, lo - 1);
      const b = firstStartingAfter(ents, hi);
      ents.splice(a, b - a);
      this.count -= b - a;
      return;
    }
    this.removeIn(root, lo, hi);
    // The root may have been left with a single child (possibly a chain of
    // them) or none at all; shorten the tree accordingly.
    let r: TreeNode<T> = root;
    while (!r.isLeaf && r.children.length <= 1) {
      r = r.children.length === 0 ? EMPTY_ROOT : r.children[0];
    }
    this.root = r;
  }

  /**
   * Bulk removal inside node x.  On return, x's own fill may be anything
   * (even zero), but below x every node that has a sibling is properly
   * filled; a node without siblings may be underfull and is fixed once an
   * ancestor gives it a neighbour (see normalize).
   */
  private removeIn(x: Inner<T>, lo: number, hi: number): void {
    const i = childSlot(x.keys, lo);
    const j = childSlot(x.keys, hi);
    if (j > i) {
      this.removeInChild(x, j, lo, hi);
      if (j - 1 > i) this.dropChildren(x, i + 1, j - 1);
    }
    this.removeInChild(x, i, lo, hi);
    this.normalize(x);
  }

  private removeInChild(x: Inner<T>, slot: number, lo: number, hi: number): void {
    const c = x.children[slot];
    if (c.isLeaf) {
      const ents = c.entries;
      const a = firstStartingAfter(ents, lo - 1);
      const b = firstStartingAfter(ents, hi);
      if (a === b) return;
      ents.splice(a, b - a);
      this.count -= b - a;
    } else {
      this.removeIn(c, lo, hi);
    }
    if (nodeSize(c) === 0) this.detachChild(x, slot);
    else this.refresh(x, slot);
  }

  /** Cuts children from..to (inclusive) out of x; all their entries go. */
  private dropChildren(x: Inner<T>, from: number, to: number): void {
    const firstLeaf = leftmostLeaf(x.children[from]);
    const lastLeaf = rightmostLeaf(x.children[to]);
    const before = firstLeaf.prev;
    const after = lastLeaf.next;
    if (before !== null) before.next = after;
    if (after !== null) after.prev = before;
    firstLeaf.prev = null;
    lastLeaf.next = null;
    for (let k = from; k <= to; k++) this.count -= countEntries(x.children[k]);
    const howMany = to - from + 1;
    x.children.splice(from, howMany);
    x.keys.splice(from, howMany);
    x.lasts.splice(from, howMany);
    x.gaps.splice(from, howMany);
  }

  /**
   * Brings every child of y up to the minimum fill, as long as y has more
   * than one child.  An underfull child is merged with, or borrows from, a
   * neighbour; if it was an internal node, its own children may include an
   * underfull former only-child, so the receiving node is normalized too.
   */
  private normalize(y: Inner<T>): void {
    let slot = 0;
    /*
     * Bounded: 2 * children - slot drops by at least one each pass (a
     * detach or a merge removes a child and moves slot back by one at most,
     * a full child moves slot on, a borrow moves it on by one or two), and
     * it is never negative.
     */
    while (slot < y.children.length) {
      const c = y.children[slot];
      const n = nodeSize(c);
      if (n === 0) {
        this.detachChild(y, slot);
        continue;
      }
      if (n >= NODE_MIN || y.children.length === 1) {
        slot++;
        continue;
      }
      const pair = slot > 0 ? slot - 1 : slot;
      const a = y.children[pair];
      const b = y.children[pair + 1];
      const merged = this.mergeOrBorrow(y, pair);
      if (!a.isLeaf) {
        this.normalize(a);
        if (!merged && !b.isLeaf) this.normalize(b);
      }
      // A merged node may still be short (both halves were); look again.
      slot = merged ? pair : pair + 2;
    }
  }

  /**
   * Rebalances children pair and pair + 1 of y: merges them when they fit in
   * one node, otherwise shares their items evenly.  Returns true on merge.
   */
  private mergeOrBorrow(y: Inner<T>, pair: number): boolean {
    const a = y.children[pair];
    const b = y.children[pair + 1];
    const na = nodeSize(a);
    const nb = nodeSize(b);
    if (a.isLeaf) {
      if (!b.isLeaf) throw new Error('RangeTree: internal error, siblings at different depths');
      if (na + nb <= NODE_MAX) {
        for (const e of b.entries) a.entries.push(e);
        this.detachChild(y, pair + 1);
        this.refresh(y, pair);
        return true;
      }
      const target = (na + nb) >> 1;
      if (na < target) {
        for (const e of b.entries.splice(0, target - na)) a.entries.push(e);
      } else {
        b.entries.unshift(...a.entries.splice(target));
      }
    } else {
      if (b.isLeaf) throw new Error('RangeTree: internal error, siblings at different depths');
      if (na + nb <= NODE_MAX) {
        for (let k = 0; k < nb; k++) {
          a.children.push(b.children[k]);
          a.keys.push(b.keys[k]);
          a.lasts.push(b.lasts[k]);
          a.gaps.push(b.gaps[k]);
        }
        this.detachChild(y, pair + 1);
        this.refresh(y, pair);
        return true;
      }
      const target = (na + nb) >> 1;
      if (na < target) {
        const m = target - na;
        for (const c of b.children.splice(0, m)) a.children.push(c);
        for (const v of b.keys.splice(0, m)) a.keys.push(v);
        for (const v of b.lasts.splice(0, m)) a.lasts.push(v);
        for (const v of b.gaps.splice(0, m)) a.gaps.push(v);
      } else {
        b.children.unshift(...a.children.splice(target));
        b.keys.unshift(...a.keys.splice(target));
        b.lasts.unshift(...a.lasts.splice(target));
        b.gaps.unshift(...a.gaps.splice(target));
      }
    }
    this.refresh(y, pair);
    this.refresh(y, pair + 1);
    return false;
  }

  /** Splits an overfull child of y in two and records both halves in y. */
  private splitChild(y: Inner<T>, slot: number): void {
    const c = y.children[slot];
    const half = nodeSize(c) >> 1;
    let right: TreeNode<T>;
    if (c.isLeaf) {
      const r = new Leaf<T>(c.entries.splice(half));
      r.next = c.next;
      if (c.next !== null) c.next.prev = r;
      c.next = r;
      r.prev = c;
      right = r;
    } else {
      right = new Inner<T>(c.children.splice(half), c.keys.splice(half), c.lasts.splice(half), c.gaps.splice(half));
    }
    y.children.splice(slot + 1, 0, right);
    y.keys.splice(slot + 1, 0, 0);
    y.lasts.splice(slot + 1, 0, 0);
    y.gaps.splice(slot + 1, 0, 0);
    this.refresh(y, slot);
    this.refresh(y, slot + 1);
  }

  /** Removes child `slot` from y, unhooking it from the leaf list if a leaf. */
  private detachChild(y: Inner<T>, slot: number): void {
    const c = y.children[slot];
    if (c.isLeaf) unlinkLeaf(c);
    y.children.splice(slot, 1);
    y.keys.splice(slot, 1);
    y.lasts.splice(slot, 1);
    y.gaps.splice(slot, 1);
  }

  /**
   * refresh() of a leaf child whose widest hole the caller worked out
   * (@p gap): only its first start and last end are read.
   */
  private refreshLeaf(y: Inner<T>, slot: number, gap: number): boolean {
    const e = (y.children[slot] as Leaf<T>).entries;
    const lo = e[0].index;
    const hi = e[e.length - 1].last;
    if (y.keys[slot] === lo && y.lasts[slot] === hi && y.gaps[slot] === gap) return false;
    y.keys[slot] = lo;
    y.lasts[slot] = hi;
    y.gaps[slot] = gap;
    return true;
  }

  /**
   * Recomputes y's summary of child `slot` (which must be non-empty) from the
   * child's own contents.  Returns whether anything changed.
   */
  private refresh(y: Inner<T>, slot: number): boolean {
    const c = y.children[slot];
    let lo: number;
    let hi: number;
    let gap = 0;
    if (c.isLeaf) {
      const e = c.entries;
      const n = e.length;
      lo = e[0].index;
      hi = e[n - 1].last;
      let prevLast = e[0].last;
      for (let k = 1; k < n; k++) {
        const cur = e[k];
        const g = cur.index - prevLast - 1;
        if (g > gap) gap = g;
        prevLast = cur.last;
      }
    } else {
      const keys = c.keys;
      const lasts = c.lasts;
      const gaps = c.gaps;
      const n = keys.length;
      lo = keys[0];
      hi = lasts[n - 1];
      gap = gaps[0];
      for (let k = 1; k < n; k++) {
        const between = keys[k] - lasts[k - 1] - 1;
        if (between > gap) gap = between;
        if (gaps[k] > gap) gap = gaps[k];
      }
    }
    if (y.keys[slot] === lo && y.lasts[slot] === hi && y.gaps[slot] === gap) return false;
    y.keys[slot] = lo;
    y.lasts[slot] = hi;
    y.gaps[slot] = gap;
    return true;
  }

  // ------------------------------------------------------------ validation

  /**
   * Walks the whole tree and throws an Error naming the first broken
   * invariant: entry validity and ordering, node fill, equal leaf depth,
   * agreement of keys/lasts/gaps with the subtrees, leaf links and size.
   */
  check(): void {
    if (EMPTY_ROOT.entries.length !== 0 || EMPTY_ROOT.prev !== null || EMPTY_ROOT.next !== null) {
      throw new Error('RangeTree.check: the shared empty root leaf was written to');
    }
    const w = CHECK_WALK;
    w.leafDepth = -1;
    w.leaves = 0;
    w.lastLeaf = null;
    w.badLink = -1;
    w.badLinkNext = false;
    try {
      this.checkNode(this.root, 0, true);
      const count = w.count;
      if (count !== this.count) {
        throw new Error(`RangeTree.check: size is ${this.count} but the tree holds ${count} entries`);
      }
      /* The last leaf ends the chain (a cast: the walk above set it). */
      const last = w.lastLeaf as Leaf<unknown> | null;
      if (last !== null && last.next !== null) w.noteBadLink(w.leaves - 1, true);
      if (w.badLink >= 0) {
        throw new Error(`RangeTree.check: leaf ${w.badLink} has a wrong ${w.badLinkNext ? 'next' : 'prev'} link`);
      }
    } finally {
      w.lastLeaf = null;
    }
  }

  /*
   * Checks the subtree at @node and leaves its facts (entry count, lowest
   * and highest index, widest hole) in CHECK_WALK, where the caller reads
   * them before its next call.  Leaf links are checked as the leaves come,
   * in order; the first wrong one is only noted, so that it is reported
   * after every structural fault, as a collected list of leaves would give.
   */
  private checkNode(node: TreeNode<T>, depth: number, isRoot: boolean): void {
    const w = CHECK_WALK;
    const n = nodeSize(node);
    if (n > NODE_MAX) throw new Error(`RangeTree.check: node at depth ${depth} holds ${n} > ${NODE_MAX} items`);
    if (node.isLeaf) {
      if (!isRoot && n < NODE_MIN) {
        throw new Error(`RangeTree.check: leaf at depth ${depth} holds ${n} < ${NODE_MIN} entries`);
      }
      if (w.leafDepth < 0) w.leafDepth = depth;
      else if (w.leafDepth !== depth) {
        throw new Error(`RangeTree.check: leaves at depths ${w.leafDepth} and ${depth}`);
      }
      /* The previous leaf's next link, then this leaf's prev link. */
      const k = w.leaves++;
      const before = w.lastLeaf;
      if (before !== null && before.next !== node) w.noteBadLink(k - 1, true);
      if (node.prev !== before) w.noteBadLink(k, false);
      w.lastLeaf = node;
      const ents = node.entries;
      let gap = 0;
      for (let k = 0; k < n; k++) {
        const e = ents[k];
        if (!Number.isSafeInteger(e.index) || !Number.isSafeInteger(e.last) || e.index < 0 || e.last < e.index) {
          throw new Error(`RangeTree.check: malformed entry [${e.index}, ${e.last}]`);
        }
        if (e.value === null || e.value === undefined) {
          throw new Error(`RangeTree.check: entry [${e.index}, ${e.last}] has no value`);
        }
        if (k > 0) {
          const p = ents[k - 1];
          if (p.last >= e.index) {
            throw new Error(`RangeTree.check: entries [${p.index}, ${p.last}] and [${e.index}, ${e.last}] overlap or are out of order`);
          }
          const g = e.index - p.last - 1;
          if (g > gap) gap = g;
        }
      }
      w.count = n;
      w.lo = n > 0 ? ents[0].index : 0;
      w.hi = n > 0 ? ents[n - 1].last : 0;
      w.gap = gap;
      return;
    }
    if (node.keys.length !== n || node.lasts.length !== n || node.gaps.length !== n) {
      throw new Error(`RangeTree.check: internal node at depth ${depth} has mismatched array lengths`);
    }
    if (isRoot ? n < 2 : n < NODE_MIN) {
      throw new Error(`RangeTree.check: internal node at depth ${depth} has only ${n} children`);
    }
    let count = 0;
    let gap = 0;
    let prevHi = -1;
    for (let k = 0; k < n; k++) {
      this.checkNode(node.children[k], depth + 1, false);
      const lo = w.lo;
      const hi = w.hi;
      const childGap = w.gap;
      if (node.keys[k] !== lo) {
        throw new Error(`RangeTree.check: key ${node.keys[k]} at depth ${depth} slot ${k} but child minimum is ${lo}`);
      }
      if (node.lasts[k] !== hi) {
        throw new Error(`RangeTree.check: last ${node.lasts[k]} at depth ${depth} slot ${k} but child maximum is ${hi}`);
      }
      if (node.gaps[k] !== childGap) {
        throw new Error(`RangeTree.check: gap ${node.gaps[k]} at depth ${depth} slot ${k} but child's widest hole is ${childGap}`);
      }
      if (k > 0) {
        if (prevHi >= lo) {
          throw new Error(`RangeTree.check: children ${k - 1} and ${k} at depth ${depth} overlap or are out of order`);
        }
        const g = lo - prevHi - 1;
        if (g > gap) gap = g;
      }
      if (childGap > gap) gap = childGap;
      prevHi = hi;
      count += w.count;
    }
    w.count = count;
    w.lo = node.keys[0];
    w.hi = node.lasts[n - 1];
    w.gap = gap;
  }
}
