// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parser on hostile documents: a byte-order mark, duplicate keys
 * (anywhere, also spelled with escapes), an empty step list, control
 * characters in names and keys, and deep nesting.  Each is a
 * TraceFormatError naming where, with control characters escaped.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrace, TraceFormatError } from '../../src/trace/format';
import { findDuplicateKey } from '../../src/trace/json_keys';

const good = readFileSync(join(__dirname, '..', '..', 'fixtures', 'oracle', 'random-s0001.json'), 'utf8');

function parseError(text: string): TraceFormatError {
  try {
    parseTrace(text, 'h.json');
  } catch (e) {
    if (e instanceof TraceFormatError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

const step = '{"op":"munmap","start":"0x1000","len":"0x1000"}';
const doc = (steps: string, extra = ''): string => `{"format":"vma-trace/1","kernel":"v6.15","name":"h"${extra},"steps":[${steps}]}`;

test('a UTF-8 byte-order mark is named, not quoted as an invisible character', () => {
  const e = parseError(`\ufeff${good}`);
  expect(e.step).toBeNull();
  expect(e.message).toBe(
    'h.json: document: the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which vma-trace/1 does not allow: save it as UTF-8 without a BOM',
  );
});

test('an empty step list is an error', () => {
  const e = parseError(doc(''));
  expect(e.field).toBe('steps');
  expect(e.message).toMatch(/at least one step/);
});

test.each([
  ['top level', `{"format":"vma-trace/1","kernel":"v6.15","name":"a","name":"b","steps":[${step}]}`, null, 'name', null],
  ['a step argument', doc(`${step},{"op":"munmap","start":"0x1000","len":"0x1000","len":"0x2000"}`), 1, 'len', 'munmap'],
  ['an expectation', doc(`{"op":"munmap","start":"0x1000","len":"0x1000","expect":{"err":0,"map_count":0,"err":-12}}`), 0, 'expect.err', 'munmap'],
  ['a key spelled with an escape', doc(`{"op":"munmap","start":"0x1000","\\u006cen":"0x1000","len":"0x1000"}`), 0, 'len', 'munmap'],
  ['the op itself', doc(`{"op":"munmap","op":"split","start":"0x1000","len":"0x1000"}`), 0, 'op', null],
  /* Documents that are valid once JSON.parse() has dropped the repeated member, in each kind of object. */
  ['a whole expectation', doc(`{"op":"munmap","start":"0x1000","len":"0x1000","expect":{"err":0},"expect":{"err":0}}`), 0, 'expect', 'munmap'],
  ['the mm counters', doc(`{"op":"munmap","start":"0x1000","len":"0x1000","expect":{"mm":{"total_vm":1,"locked_vm":0,"data_vm":0,"exec_vm":0,"stack_vm":0,"stack_vm":0}}}`), 0, 'expect.mm.stack_vm', 'munmap'],
  ['the locked sets', doc(`{"op":"take_all_locks","expect":{"locked":{"files":[1],"anon":[],"files":[2]}}}`), 0, 'expect.locked.files', 'take_all_locks'],
  ['the anon marks', doc(`{"op":"munmap","start":"0x1000","len":"0x1000","expect":{"anon":{"1":[true,false],"1":[false,false]}}}`), 0, 'expect.anon.1', 'munmap'],
  ['names holding colons', `{"format":"vma-trace/1","kernel":"v6.15:a","name":"a:b:c","name":"d:e","steps":[${step}]}`, null, 'name', null],
])('a duplicate key (%s) is refused, naming step and field', (_what, text, stepIndex, field, op) => {
  const e = parseError(text);
  expect(e.step).toBe(stepIndex);
  expect(e.field).toBe(field);
  expect(e.op).toBe(op);
  expect(e.message).toMatch(/duplicate key '[^']+' \(JSON would silently keep only the last value\)/);
});

test('equal values under different keys, and equal keys in different objects, are fine', () => {
  expect(findDuplicateKey('{"a":{"b":1},"c":{"b":1},"d":[{"b":1},{"b":2}],"e":"\\"b\\":1,\\"b\\":2"}')).toBeNull();
  expect(findDuplicateKey('{"a\\\\":1,"a":2}')).toBeNull();
  expect(findDuplicateKey('{"x":[1,{"y":1,"y":2}]}')).toEqual({ path: ['x', 1], key: 'y' });
  expect(() => parseTrace(good, 'ok.json')).not.toThrow();
  /* Colons in the kernel and the name, and a colon spelled with an escape, are no repeated key. */
  expect(parseTrace(`{"format":"vma-trace/1","kernel":"v6:15:","name":"a:b","steps":[${step}]}`, 'ok.json').name).toBe('a:b');
  expect(parseTrace(`{"format":"vma-trace/1","kernel":"v6.15","name":"a\\u003ab","steps":[${step}]}`, 'ok.json').name).toBe('a:b');
});

test('control characters from the input are escaped in every message', () => {
  const evilKey = '\x1b[31mred\nline';
  const e = parseError(`{"format":"vma-trace/1","kernel":"v6.15","name":"x","${evilKey.replace('\x1b', '\\u001b').replace('\n', '\\n')}":1,"steps":[${step}]}`);
  expect(e.message).toContain("unknown top-level key '\\x1b[31mred\\nline'");
  expect(e.message).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  const op = parseError(doc('{"op":"mun\\u009bmap\\u202e"}'));
  expect(op.message).toContain('unknown operation "mun\\x9bmap\\u{202e}"');
});

test('deep nesting is refused without exhausting the stack', () => {
  const deep = `${'['.repeat(200000)}${']'.repeat(200000)}`;
  const e = parseError(doc(deep));
  expect(e.step).toBe(0);
  expect(e.message).toMatch(/a step must be a JSON object/);
  const deepObj = doc(`{"op":"munmap","start":"0x1000","len":"0x1000","expect":${'{"a":'.repeat(100000)}1${'}'.repeat(100000)}}`);
  expect(parseError(deepObj).message).toMatch(/unknown expect key 'a'/);
});
