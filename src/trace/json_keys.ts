// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON.parse() keeps the last of two equal keys in an object and says
 * nothing, so a trace that states an argument twice would run with a value
 * its author may not have meant.  findDuplicateKey() scans the text of a
 * document JSON.parse() accepted and returns the first key repeated within
 * one object, with where it is.  It walks the text once, with an explicit
 * stack (no recursion, so any nesting depth is fine).
 */

/** A repeated key and the path of the object holding it. */
export interface DuplicateKey {
  /** Keys and array indices from the root down to the object. */
  readonly path: readonly (string | number)[];
  readonly key: string;
}

interface ObjectFrame {
  readonly kind: 'object';
  /*
   * The keys seen so far: a list while there are few (trace objects have a
   * handful, and a Set per object is costly), a Set once there are many.
   */
  readonly keys: string[];
  many: Set<string> | null;
  key: string | null;
  expectKey: boolean;
}

interface ArrayFrame {
  readonly kind: 'array';
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The first duplicate key of @p text (valid JSON), or null. */
export function findDuplicateKey(text: string): DuplicateKey | null {
  const stack: (ObjectFrame | ArrayFrame)[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      /*
       * A string: it ends at the first quote not escaped.  Walked character
       * by character (indexOf() per string was slower, and erratically so).
       */
      let j = i + 1;
      let escaped = false;
      for (;;) {
        if (j >= n) return null; /* not valid JSON: JSON.parse reports it */
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = true;
          j += 2;
        } else {
          j++;
        }
      }
      const top = stack[stack.length - 1];
      if (top !== undefined && top.kind === 'object' && top.expectKey) {
        const raw = text.slice(i, j + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (seen(top, key)) return { path: pathOf(stack), key };
        top.key = key;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case 0x7b /* { */:
        stack.push({ kind: 'object', keys: [], many: null, key: null, expectKey: true });
        break;
      case 0x5b /* [ */:
        stack.push({ kind: 'array', index: 0 });
        break;
      case 0x7d /* } */:
      case 0x5d /* ] */:
        stack.pop();
        break;
      case 0x2c /* , */: {
        const top = stack[stack.length - 1];
        if (top?.kind === 'array') top.index++;
        else if (top?.kind === 'object') top.expectKey = true;
        break;
      }
      default:
        break;
    }
    i++;
  }
  return null;
}

const FEW_KEYS = 16;

/* Was @p key seen in the object of @p frame before?  Records it if not. */
function seen(frame: ObjectFrame, key: string): boolean {
  if (frame.many !== null) {
    if (frame.many.has(key)) return true;
    frame.many.add(key);
    return false;
  }
  if (frame.keys.includes(key)) return true;
  frame.keys.push(key);
  if (frame.keys.length > FEW_KEYS) frame.many = new Set(frame.keys);
  return false;
}

/* The path from the root to the innermost object of @p stack. */
function pathOf(stack: readonly (ObjectFrame | ArrayFrame)[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (let s = 0; s < stack.length - 1; s++) {
    const f = stack[s];
    if (f.kind === 'array') path.push(f.index);
    else if (f.key !== null) path.push(f.key);
  }
  return path;
}
