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
  readonly keys: Set<string>;
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
  /* The first backslash at or after the current string (-1: none left). */
  let nextBackslash = text.indexOf('\\');
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      /* A string: its closing quote is the first one not escaped by an odd run of backslashes. */
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return null; /* not valid JSON: JSON.parse reports it */
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      if (nextBackslash !== -1 && nextBackslash <= i) nextBackslash = text.indexOf('\\', i + 1);
      const escaped = nextBackslash !== -1 && nextBackslash < j;
      const top = stack[stack.length - 1];
      if (top !== undefined && top.kind === 'object' && top.expectKey) {
        const raw = text.slice(i, j + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.keys.has(key)) return { path: pathOf(stack), key };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case 0x7b /* { */:
        stack.push({ kind: 'object', keys: new Set(), key: null, expectKey: true });
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
