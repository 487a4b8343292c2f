// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a long trace without holding JSON.parse()'s tree of the whole
 * document: splitSteps() finds, in the text of a document, the members of
 * the top-level object and the element boundaries of its "steps" array, so
 * that each step can be parsed on its own (and its raw object dropped once
 * it is turned into a TraceStep).  It checks only the structure it walks
 * (braces, brackets, colons and commas of those two levels, and string
 * boundaries); each part it returns must still go through JSON.parse(),
 * which checks the rest.  Anything unexpected gives null: the caller then
 * parses the whole document the ordinary way, which names the error.
 */

/** Where the steps are in a document's text. */
export interface StepsSplit {
  /** The document with the steps array replaced by []. */
  readonly skeleton: string;
  /** Start and end (exclusive) of each element of the steps array, flat: step i is [2i, 2i+1]. */
  readonly spans: number[];
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

function skipSpace(t: string, i: number): number {
  while (i < t.length && isSpace(t.charCodeAt(i))) i++;
  return i;
}

/* End (after the closing quote) of the string starting at @i, or -1. */
function stringEnd(t: string, i: number): number {
  for (let j = i + 1; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/* End of the JSON value starting at @i (its syntax is left to JSON.parse), or -1. */
function valueEnd(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === QUOTE) return stringEnd(t, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < t.length; j++) {
      const d = t.charCodeAt(j);
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
    const d = t.charCodeAt(j);
    if (d === COMMA || d === RBRACE || d === RBRACKET || isSpace(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/* The elements of the array starting at @i (a '['), and its end; null if malformed. */
function arrayElements(t: string, i: number): { end: number; items: number[] } | null {
  /* Flat pairs of numbers: a pair array per step would weigh ~50 bytes each. */
  const items: number[] = [];
  let j = skipSpace(t, i + 1);
  if (t.charCodeAt(j) === RBRACKET) return { end: j + 1, items };
  for (;;) {
    const e = valueEnd(t, j);
    if (e < 0) return null;
    items.push(j, e);
    j = skipSpace(t, e);
    const c = t.charCodeAt(j);
    if (c === RBRACKET) return { end: j + 1, items };
    if (c !== COMMA) return null;
    j = skipSpace(t, j + 1);
  }
}

/**
 * Split @text, the text of a JSON object with a "steps" array member, into
 * the rest of the document and the steps' spans; null if it is not plainly
 * such a document (the caller then parses it whole).
 */
export function splitSteps(text: string): StepsSplit | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== LBRACE) return null;
  i = skipSpace(text, i + 1);
  let found: { start: number; end: number; items: number[] } | null = null;
  if (text.charCodeAt(i) !== RBRACE) {
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return null;
      const ke = stringEnd(text, i);
      if (ke < 0) return null;
      const key = text.slice(i + 1, ke - 1);
      i = skipSpace(text, ke);
      if (text.charCodeAt(i) !== COLON) return null;
      i = skipSpace(text, i + 1);
      if (key === 'steps') {
        /* Twice (JSON.parse would keep the last): let the whole-document path say so. */
        if (found !== null || text.charCodeAt(i) !== LBRACKET) return null;
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
      const c = text.charCodeAt(i);
      if (c === RBRACE) break;
      if (c !== COMMA) return null;
      i = skipSpace(text, i + 1);
    }
  }
  if (found === null || skipSpace(text, i + 1) !== text.length) return null;
  return { skeleton: `${text.slice(0, found.start)}[]${text.slice(found.end)}`, spans: found.items };
}
