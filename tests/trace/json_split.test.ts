// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Long traces are read one step at a time (src/trace/json_split.ts,
 * parseTraceLazily): the steps must be exactly those parseTrace() gives, and
 * anything not plainly well formed must be left to parseTrace(), which
 * names the error.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitSteps, stepText } from '../../src/trace/json_split';
import { parseTrace, parseTraceLazily } from '../../src/trace/parse';
import { collectTraceFiles } from '../../src/trace/replay';
import { quickEqual } from '../support/quick_expect';

const oracle = collectTraceFiles([join(__dirname, '..', '..', 'fixtures', 'oracle')]);

test('read lazily, every oracle trace gives the same steps as parseTrace()', () => {
  expect(oracle.length).toBeGreaterThanOrEqual(600);
  for (const f of oracle.filter((_, i) => i % 10 === 0)) {
    const text = readFileSync(f, 'utf8');
    const whole = parseTrace(text, f);
    /* From its text, and from its bytes as the command reads a long trace. */
    for (const input of [text, readFileSync(f)]) {
      const lazy = parseTraceLazily(input, f);
      expect(lazy).not.toBeNull();
      if (lazy === null) return;
      expect([lazy.name, lazy.kernel, lazy.steps.length]).toEqual([whole.name, whole.kernel, whole.steps.length]);
      /* Tens of thousands of steps: the matcher only on a difference. */
      for (let i = 0; i < whole.steps.length; i++) quickEqual(lazy.steps[i], whole.steps[i]);
      expect(lazy.steps[whole.steps.length]).toBeUndefined();
    }
  }
});

test('the split works on bytes: characters of several bytes do not move the boundaries', () => {
  const text = '{"name":"é€😀\\u00e9","steps":[{"op":"ö","s":"}]€"},"😀"],"format":"ß"}';
  const bytes = Buffer.from(text, 'utf8');
  expect(bytes.length).toBeGreaterThan(text.length);
  const s = splitSteps(bytes);
  expect(s).not.toBeNull();
  if (s === null) return;
  const parts: unknown[] = [];
  for (let i = 0; i < s.spans.length / 2; i++) parts.push(JSON.parse(stepText(bytes, s, i)));
  expect(parts).toEqual([{ op: 'ö', s: '}]€' }, '😀']);
  expect(JSON.parse(s.skeleton)).toEqual({ name: 'é€😀é', steps: [], format: 'ß' });
});

test('text with a lone surrogate, or bytes with a byte-order mark, are left to parseTrace()', () => {
  const good = readFileSync(oracle[0], 'utf8');
  expect(parseTraceLazily(good.replace('"name":"', '"name":"\ud800'), 'lone')).toBeNull();
  expect(parseTraceLazily(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)]), 'bom')).toBeNull();
});

test('the split finds each step, whatever the spacing and the strings hold', () => {
  const text = ' {"name" : "a]}\\"[{" ,\n"steps":\t[ {"op":"x","s":"}]"} ,[1,[2]],"q\\\\",3 ] , "format":{"k":[]}}\r\n';
  const bytes = Buffer.from(text, 'utf8');
  const s = splitSteps(bytes);
  expect(s).not.toBeNull();
  if (s === null) return;
  const parts: unknown[] = [];
  for (let i = 0; i < s.spans.length / 2; i++) parts.push(JSON.parse(stepText(bytes, s, i)));
  expect(parts).toEqual([{ op: 'x', s: '}]' }, [1, [2]], 'q\\', 3]);
  expect(JSON.parse(s.skeleton)).toEqual({ name: 'a]}"[{', steps: [], format: { k: [] } });
});

test.each([
  ['not an object', '[{"steps":[1]}]'],
  ['no steps', '{"name":"x"}'],
  ['steps not an array', '{"steps":{"a":1}}'],
  ['steps twice', '{"steps":[1],"steps":[2]}'],
  ['missing comma between steps', '{"steps":[1 2]}'],
  ['trailing comma', '{"steps":[1,]}'],
  ['missing colon', '{"steps" [1]}'],
  ['text after the document', '{"steps":[1]} x'],
  ['unterminated string', '{"steps":["abc]}'],
  ['unbalanced step', '{"steps":[{"a":1}}]}'],
])('%s: left to the whole-document parser', (_what, text) => {
  expect(splitSteps(Buffer.from(text, 'utf8'))).toBeNull();
});

test('a trace with any fault is not read lazily, so parseTrace() reports it', () => {
  const good = readFileSync(oracle[0], 'utf8');
  expect(parseTraceLazily(good, 'good')).not.toBeNull();
  /* A duplicate key inside a step, and a step that is not valid. */
  const dup = good.replace('{"op":', '{"op":"munmap","op":');
  expect(parseTraceLazily(dup, 'dup')).toBeNull();
  expect(() => parseTrace(dup, 'dup')).toThrow(/duplicate key 'op'/);
  const bad = good.replace('{"op":', '{"bogus":1,"op":');
  expect(parseTraceLazily(bad, 'bad')).toBeNull();
  expect(() => parseTrace(bad, 'bad')).toThrow(/unknown argument 'bogus'/);
});
