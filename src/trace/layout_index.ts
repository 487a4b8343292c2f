// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The validator's ordered index of its VMAs by start address (layout.ts):
 * what it asks is the VMA with the highest start at or below an address,
 * and to add and remove VMAs as steps change them; neighbours come from the
 * layout's own links, never from here.  It is its own structure, not the
 * maple-tree stand-in's, so that a fault in the port's tree cannot mislead
 * the validator.
 *
 * A list of sorted chunks: chunk k holds at most CHUNK_MAX keys (starts) in
 * ascending order with their records, every key in chunk k is below every
 * key in chunk k + 1, and firsts[k] is chunk k's first key.  A
 * lookup is two binary searches (over firsts, then within one chunk); an
 * insertion or a removal moves at most CHUNK_MAX keys and records within its
 * chunk, and splitting or dropping a chunk moves the chunk list (a few
 * hundred entries for 20,000 VMAs).  Nothing is allocated per lookup, per
 * insertion or per removal, except when a chunk splits.  (The library B+
 * tree used before allocated an array per insertion and per removal, and
 * its generic descents were the validator's largest cost.)
 *
 * Every loop ends: binary searches halve their interval each pass, and the
 * shifting loops run over one chunk or over the chunk list.
 */

import { doubleArray, objectArray } from './arrays';

/** Largest number of records in one chunk. */
const CHUNK_MAX = 256;

/**
 * Records of type R keyed by unique start addresses.  The keys are kept
 * apart from the records: a record's own start may change before the
 * layout moves it (update() re-reads a VMA, then looks it up by its old
 * start), so the index never reads a record.
 */
export class StartIndex<R> {
  /*
   * Chunk k: keys[k] ascending, vals[k] the record of each key.  There is
   * always at least one chunk: an empty index holds one empty chunk, so
   * that the first insertion takes the same path as the others (a path
   * taken once per index would be one V8 compiled without feedback, and it
   * would throw the code away at every trace's first step).
   */
  private keys: number[][] = objectArray();
  private vals: R[][] = objectArray();
  private firsts: number[] = doubleArray();
  private count = 0;

  constructor() {
    this.keys.push(doubleArray());
    this.vals.push(objectArray());
    this.firsts.push(0);
  }

  /** Number of records held. */
  get size(): number {
    return this.count;
  }

  /* The chunk that holds, or would hold, @key: the last whose first key is at or below it (0 when none is). */
  private chunkOf(key: number): number {
    const firsts = this.firsts;
    let lo = 0;
    let hi = firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (firsts[mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? lo - 1 : 0;
  }

  /* Position in @keys of the first key above @key (keys.length when none is). */
  private static after(keys: number[], key: number): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The record with the highest key at or below @addr, or null. */
  floor(addr: number): R | null {
    if (this.count === 0) return null;
    const k = this.chunkOf(addr);
    const p = StartIndex.after(this.keys[k], addr);
    return p > 0 ? this.vals[k][p - 1] : null;
  }

  /** The record with key @key, or null. */
  get(key: number): R | null {
    if (this.count === 0) return null;
    const k = this.chunkOf(key);
    const keys = this.keys[k];
    const p = StartIndex.after(keys, key);
    return p > 0 && keys[p - 1] === key ? this.vals[k][p - 1] : null;
  }

  /** Add @r under @key; false (and nothing changes) when @key is already held. */
  insert(key: number, r: R): boolean {
    const k = this.chunkOf(key);
    const keys = this.keys[k];
    const vals = this.vals[k];
    const p = StartIndex.after(keys, key);
    if (p > 0 && keys[p - 1] === key) return false;
    /* Open a slot at p: grow by one, then move the tail up from the top down. */
    keys.push(key);
    vals.push(r);
    for (let i = keys.length - 1; i > p; i--) {
      keys[i] = keys[i - 1];
      vals[i] = vals[i - 1];
    }
    keys[p] = key;
    vals[p] = r;
    if (p === 0) this.firsts[k] = key;
    this.count++;
    if (keys.length > CHUNK_MAX) this.split(k);
    return true;
  }

  /** Remove the record with key @key; false when there is none. */
  delete(key: number): boolean {
    if (this.count === 0) return false;
    const k = this.chunkOf(key);
    const keys = this.keys[k];
    const vals = this.vals[k];
    const p = StartIndex.after(keys, key) - 1;
    if (p < 0 || keys[p] !== key) return false;
    for (let i = p; i < keys.length - 1; i++) {
      keys[i] = keys[i + 1];
      vals[i] = vals[i + 1];
    }
    keys.pop();
    vals.pop();
    this.count--;
    if (keys.length === 0 && this.keys.length > 1) {
      this.keys.splice(k, 1);
      this.vals.splice(k, 1);
      this.firsts.splice(k, 1);
    } else if (p === 0 && keys.length > 0) {
      this.firsts[k] = keys[0];
    }
    return true;
  }

  /* Split chunk @k in two halves. */
  private split(k: number): void {
    const keys = this.keys[k];
    const vals = this.vals[k];
    const half = keys.length >> 1;
    const upperKeys = keys.slice(half);
    const upperVals = vals.slice(half);
    keys.length = half;
    vals.length = half;
    this.keys.splice(k + 1, 0, upperKeys);
    this.vals.splice(k + 1, 0, upperVals);
    this.firsts.splice(k + 1, 0, upperKeys[0]);
  }

  /**
   * Check the index's invariants (chunks within size and non-empty, but
   * for the one chunk of an empty index; keys strictly ascending across
   * chunks, one record per key, first keys and the count in agreement);
   * throws an Error naming the first broken one.
   */
  check(): void {
    const n = this.keys.length;
    if (this.vals.length !== n || this.firsts.length !== n) throw new Error('StartIndex.check: chunk lists differ in length');
    if (n === 0) throw new Error('StartIndex.check: no chunk');
    if (this.count === 0) {
      if (n !== 1 || this.keys[0].length !== 0 || this.vals[0].length !== 0) throw new Error('StartIndex.check: an empty index must hold exactly one chunk, empty');
      return;
    }
    let total = 0;
    let last = -Infinity;
    for (let k = 0; k < n; k++) {
      const keys = this.keys[k];
      if (keys.length === 0 || keys.length > CHUNK_MAX) throw new Error(`StartIndex.check: chunk ${k} holds ${keys.length} keys`);
      if (this.vals[k].length !== keys.length) throw new Error(`StartIndex.check: chunk ${k} has ${keys.length} keys but ${this.vals[k].length} records`);
      if (this.firsts[k] !== keys[0]) throw new Error(`StartIndex.check: chunk ${k} starts at ${keys[0]}, not ${this.firsts[k]}`);
      for (const key of keys) {
        if (!(key > last)) throw new Error(`StartIndex.check: key ${key} after ${last}`);
        last = key;
      }
      total += keys.length;
    }
    if (total !== this.count) throw new Error(`StartIndex.check: ${total} records held, count says ${this.count}`);
  }
}
