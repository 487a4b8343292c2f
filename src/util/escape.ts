// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text taken from input (trace names, file names, values) is printed with
 * every control character escaped, so that a name holding ANSI escapes or
 * newlines cannot move the cursor, colour the terminal or forge a line of
 * the report.  Escaped: C0 and C1 controls, DEL, the Unicode line and
 * paragraph separators and the bidirectional overrides (which can make a
 * line read differently from what it holds), and the byte-order mark.
 */

const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff]';
const UNSAFE_ONE = new RegExp(UNSAFE_CLASS, 'u');
const UNSAFE_ALL = new RegExp(UNSAFE_CLASS, 'gu');

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** @p s with each unsafe character written as \n, \t, \xNN or \u{NNNN}. */
export function escapeControl(s: string): string {
  if (!UNSAFE_ONE.test(s)) return s;
  return s.replace(UNSAFE_ALL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0) as number;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * @p s as a JSON string literal in which every character escapeControl()
 * would rewrite is a \u escape: safe to print, and read back by any JSON
 * parser.
 */
export function quote(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_ALL, (c) => {
    const code = c.codePointAt(0) as number;
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
