// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a long trace without holding JSON.parse()'s tree of the whole
 * document, nor even its text: splitSteps() finds, in the UTF-8 bytes of a
 * document, the members of the top-level object and the byte boundaries of
 * the elements of its "steps" array, so that each step can be decoded and
 * parsed on its own (and its raw object dropped once it is turned into a
 * TraceStep).  Every character that delimits (quotes, braces, brackets,
 * colons, commas, backslashes, spaces) is ASCII, and no byte of a multi-byte
 * UTF-8 sequence is ASCII, so the walk over bytes finds the same boundaries
 * as one over characters.  It checks only the structure it walks
 * (braces, brackets, colons and commas of those two levels, and string
 * boundaries); each part it returns must still go through JSON.parse(),
 * which checks the rest.  Anything unexpected gives null: the caller then
 * parses the whole document the ordinary way, which names the error.
 */

/** Where the steps are in a document's bytes. */
export interface StepsSplit {
  /** The document's text with the steps array replaced by []. */
  readonly skeleton: string;
  /** Byte offsets of the start and end (exclusive) of each element of the steps array, flat: step i is [2i, 2i+1]. */
  readonly spans: Uint32Array;
}

/** The text of step @p i of @p split, decoded from @p bytes (the document the split was made of). */
export function stepText(bytes: Buffer, split: StepsSplit, i: number): string {
  return bytes.toString('utf8', split.spans[2 * i], split.spans[2 * i + 1]);
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

function skipSpace(t: Buffer, i: number): number {
  while (i < t.length && isSpace(t[i])) i++;
  return i;
}

/* End (after the closing quote) of the string starting at @i, or -1. */
function stringEnd(t: Buffer, i: number): number {
  for (let j = i + 1; j < t.length; j++) {
    const c = t[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/* End of the JSON value starting at @i (its syntax is left to JSON.parse), or -1. */
function valueEnd(t: Buffer, i: number): number {
  const c = t[i];
  if (c === QUOTE) return stringEnd(t, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < t.length; j++) {
      const d = t[j];
      if (d === QUOTE) {
        j = stringEnd(t, j) - 1;
        if (j < 0) return -1;
      } else if (d === LBRACE || d === LBRACKET) depth++;
      else if (d === RBRACE || d === RBRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < t.length) {
    const d = t[j];
    if (d === COMMA || d === RBRACE || d === RBRACKET || isSpace(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/* Start and end offsets of the elements of an array, two per element, in a typed array grown by doubling. */
class Spans {
  items = new Uint32Array(1024);
  length = 0;
  push(start: number, end: number): void {
    if (this.length + 2 > this.items.length) {
      const grown = new Uint32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = start;
    this.items[this.length++] = end;
  }
  /* Exactly the offsets pushed: 8 bytes a step, outside the JavaScript heap. */
  done(): Uint32Array {
    return this.items.slice(0, this.length);
  }
}

/* The elements of the array starting at @i (a '['), and its end; null if malformed. */
function arrayElements(t: Buffer, i: number): { end: number; items: Uint32Array } | null {
  const items = new Spans();
  let j = skipSpace(t, i + 1);
  if (t[j] === RBRACKET) return { end: j + 1, items: items.done() };
  for (;;) {
    const e = valueEnd(t, j);
    if (e < 0) return null;
    items.push(j, e);
    j = skipSpace(t, e);
    const c = t[j];
    if (c === RBRACKET) return { end: j + 1, items: items.done() };
    if (c !== COMMA) return null;
    j = skipSpace(t, j + 1);
  }
}

/**
 * Split @text, the UTF-8 bytes of a JSON object with a "steps" array member,
 * into the rest of the document and the steps' spans; null if it is not
 * plainly such a document (the caller then parses it whole).  The bytes must
 * be valid UTF-8 (checked by the caller).
 */
export function splitSteps(text: Buffer): StepsSplit | null {
  /* Offsets are kept as 32-bit numbers. */
  if (text.length > 0xffffffff) return null;
  let i = skipSpace(text, 0);
  if (text[i] !== LBRACE) return null;
  i = skipSpace(text, i + 1);
  let found: { start: number; end: number; items: Uint32Array } | null = null;
  if (text[i] !== RBRACE) {
    for (;;) {
      if (text[i] !== QUOTE) return null;
      const ke = stringEnd(text, i);
      if (ke < 0) return null;
      const key = text.toString('utf8', i + 1, ke - 1);
      i = skipSpace(text, ke);
      if (text[i] !== COLON) return null;
      i = skipSpace(text, i + 1);
      if (key === 'steps') {
        /* Twice (JSON.parse would keep the last): let the whole-document path say so. */
        if (found !== null || text[i] !== LBRACKET) return null;
        const a = arrayElements(text, i);
        if (a === null) return null;
        found = { start: i, end: a.end, items: a.items };
        i = a.end;
      } else {
        const e = valueEnd(text, i);
        if (e < 0) return null;
        i = e;
      }
      i = skipSpace(text, i);
      const c = text[i];
      if (c === RBRACE) break;
      if (c !== COMMA) return null;
      i = skipSpace(text, i + 1);
    }
  }
  if (found === null || skipSpace(text, i + 1) !== text.length) return null;
  return { skeleton: `${text.toString('utf8', 0, found.start)}[]${text.toString('utf8', found.end)}`, spans: found.items };
}
