// SPDX-License-Identifier: GPL-2.0-or-later
import * as fs from 'fs';
import * as path from 'path';
import {
  MergeNewStep,
  MmapStep,
  Trace,
  TraceFormatError,
  TraceStep,
  formatStep,
  formatTrace,
  parseHexNumber,
  parseHexU64,
  parseTrace,
  toHex,
} from '../../src/trace/format';
import { quickBe } from '../support/quick_expect';

// ---------------------------------------------------------------------------
// Where the public oracle traces live: the repository's own copy first, then
// the shared folder next to the repository.

function oracleDir(): string | null {
  const candidates = [
    path.resolve(__dirname, '../../fixtures/oracle'),
    path.resolve(__dirname, '../../../shared/fixtures/oracle'),
  ];
  for (const dir of candidates) {
    if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.json'))) return dir;
  }
  return null;
}

const ORACLE = oracleDir();
const ORACLE_FILES = ORACLE === null ? [] : fs.readdirSync(ORACLE).filter((f) => f.endsWith('.json')).sort();

describe('oracle traces', () => {
  test('the oracle folder holds the 200 public traces', () => {
    expect(ORACLE).not.toBeNull();
    expect(ORACLE_FILES.length).toBeGreaterThanOrEqual(200);
  });

  test.each(ORACLE_FILES)('%s round-trips byte for byte', (file) => {
    const text = fs.readFileSync(path.join(ORACLE as string, file), 'utf8');
    const trace = parseTrace(text, file);
    quickBe(trace.format, 'vma-trace/1');
    quickBe(trace.name, file.replace(/\.json$/, ''));
    quickBe(formatTrace(trace), text);
    // formatStep gives exactly the lines between the header and the footer
    // (compared as one string: toEqual on thousands of lines is slow).
    const lines = text.split('\n');
    quickBe(trace.steps.map(formatStep).join('\n'), lines.slice(1, -2).map((l) => l.replace(/,$/, '')).join('\n'));
  });
});

// ---------------------------------------------------------------------------
// A small hand-made trace used as the starting point of the bad-input tests.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonStep = { [key: string]: Json };

const ROW1: Json = [1, '0x100000', '0x103000', '0x100', '0x33', null, null, 'dummy', 1, false];
const ROW2: Json = [2, '0x105000', '0x106000', '0x105', '0x33', null, null, 'dummy', 1, false];
const ROW3: Json = [3, '0x108000', '0x10a000', '0x108', '0x37', 2, 1, 'close', 1, true];

function baseSteps(): JsonStep[] {
  return [
    { op: 'alloc_and_link', start: '0x100000', end: '0x103000', pgoff: '0x100', flags: '0x33', expect: { vma: 1 } },
    { op: 'munmap', start: '0x100000', len: '0x1000', expect: { err: 0 } },
    { op: 'set_anon', vma: 1, anon: 3, chain: 1 },
    { op: 'set_file', vma: 1, file: 2 },
    { op: 'merge_new', start: '0x103000', end: '0x104000', pgoff: '0x103', flags: '0x33', anon: 3 },
    { op: 'set_ops', vma: 1, ops: 'close', expect: { map_count: 3, vmas: [ROW1, ROW2, ROW3] } },
  ];
}

function docText(steps: Json[], top: { [key: string]: Json } = {}): string {
  return JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: 'bad', steps, ...top });
}

/** Parse `text` expecting a TraceFormatError at the given place. */
function expectError(text: string, step: number | null, field: string, detail?: RegExp): TraceFormatError {
  const source = 'bad-trace.json';
  let caught: unknown = null;
  try {
    parseTrace(text, source);
  } catch (e: unknown) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TraceFormatError);
  const err = caught as TraceFormatError;
  expect(err).toBeInstanceOf(Error);
  expect(err.source).toBe(source);
  expect(err.step).toBe(step);
  expect(err.field).toBe(field);
  expect(err.message.startsWith(`${source}: `)).toBe(true);
  if (step !== null) expect(err.message).toContain(`step ${step}`);
  if (field !== '') expect(err.message).toContain(`field '${field}'`);
  if (detail !== undefined) expect(err.message).toMatch(detail);
  return err;
}

/** The base trace with step `i` replaced by `edit(copy of step i)`. */
function withStep(i: number, edit: (s: JsonStep) => void): string {
  const steps = baseSteps();
  edit(steps[i]);
  return docText(steps);
}

test('the hand-made base trace is valid', () => {
  const trace = parseTrace(docText(baseSteps()), 'base.json');
  expect(trace.steps.map((s) => s.op)).toEqual([
    'alloc_and_link',
    'munmap',
    'set_anon',
    'set_file',
    'merge_new',
    'set_ops',
  ]);
  expect(trace.steps[1]).toEqual({ op: 'munmap', start: 0x100000, len: 0x1000, expect: { err: 0 } });
});

describe('bad input', () => {
  test('malformed JSON', () => {
    const err = expectError(docText(baseSteps()).slice(0, -5), null, '', /malformed JSON: /);
    expect(err.message).toMatch(/^bad-trace\.json: document: malformed JSON: .+/);
  });

  test('non-object document', () => {
    expectError('[1,2]', null, '', /must be a JSON object/);
  });

  test('unknown format', () => {
    expectError(docText(baseSteps(), { format: 'vma-trace/2' }), null, 'format', /unknown format string "vma-trace\/2"/);
  });

  test('missing format', () => {
    expectError(JSON.stringify({ kernel: 'v6.15', name: 'x', steps: [] }), null, 'format', /missing 'format'/);
  });

  test('missing name / kernel / steps and unknown top-level keys', () => {
    for (const key of ['name', 'kernel', 'steps']) {
      const doc: { [k: string]: Json } = { format: 'vma-trace/1', kernel: 'v6.15', name: 'x', steps: [] };
      delete doc[key];
      expectError(JSON.stringify(doc), null, key, new RegExp(`missing '${key}'`));
    }
    expectError(docText([], { comment: 'hi' }), null, 'comment', /unknown top-level key 'comment'/);
    expectError(docText([], { steps: {} }), null, 'steps', /expected an array/);
  });

  test('step that is not an object', () => {
    const steps: Json[] = baseSteps();
    steps[2] = 'munmap';
    expectError(docText(steps), 2, '', /a step must be a JSON object/);
  });

  test('missing op', () => {
    expectError(withStep(2, (s) => delete s.op), 2, 'op', /missing 'op'/);
  });

  test('unknown op', () => {
    const err = expectError(withStep(1, (s) => (s.op = 'frobnicate')), 1, 'op', /unknown operation "frobnicate"/);
    expect(err.message).toBe(`bad-trace.json: step 1: field 'op': unknown operation "frobnicate"`);
  });

  test('missing required argument', () => {
    const err = expectError(withStep(1, (s) => delete s.len), 1, 'len', /missing required argument 'len'/);
    expect(err.message).toBe(`bad-trace.json: step 1 (munmap): field 'len': missing required argument 'len'`);
    // The optional arguments are not required, the others of merge_new are.
    expectError(withStep(4, (s) => delete s.pgoff), 4, 'pgoff', /missing required argument/);
    expectError(withStep(3, (s) => delete s.file), 3, 'file', /missing required argument/);
  });

  test('extra / unknown argument', () => {
    expectError(withStep(1, (s) => (s.flags = '0x33')), 1, 'flags', /unknown argument 'flags'/);
    expectError(withStep(5, (s) => (s.Vma = 1)), 5, 'Vma', /unknown argument 'Vma'/);
  });

  test('wrong VMA-id type', () => {
    expectError(withStep(5, (s) => (s.vma = '1')), 5, 'vma', /expected a VMA id \(positive integer\), got string "1"/);
    expectError(withStep(5, (s) => (s.vma = 0)), 5, 'vma', /expected a VMA id/);
    expectError(withStep(5, (s) => (s.vma = 1.5)), 5, 'vma', /expected a VMA id/);
    expectError(withStep(5, (s) => (s.vma = null)), 5, 'vma', /expected a VMA id/);
    expectError(withStep(0, (s) => (s.expect = { vma: 'one' })), 0, 'expect.vma', /expected a VMA id/);
    expectError(
      withStep(0, (s) => (s.expect = { vmas: [[true, ...(ROW1 as Json[]).slice(1)]] })),
      0,
      'expect.vmas[0][0]',
      /expected a VMA id/,
    );
    const expand: JsonStep = { op: 'expand', vma: 1, start: '0x100000', end: '0x104000', pgoff: '0x100', next: '2' };
    expectError(docText([expand]), 0, 'next', /expected a VMA id \(positive integer\) or null/);
  });

  test('VMA ids beyond 2^53 cannot be represented', () => {
    const text = docText(baseSteps()).replace('"vma":1,"ops"', '"vma":9007199254740993,"ops"');
    expectError(text, 5, 'vma', /cannot be represented exactly/);
  });

  test('malformed hex in an argument', () => {
    const err = expectError(withStep(1, (s) => (s.len = '0x12g')), 1, 'len');
    expect(err.message).toBe(`bad-trace.json: step 1 (munmap): field 'len': malformed hex string "0x12g"`);
    const bad = ['0X1000', '0x1A', '1000', '', '0x', '0x0100', '0x00', '-0x1', ' 0x1', '0x1 ', '0x10000000000000000'];
    for (const value of bad) {
      expectError(withStep(1, (s) => (s.start = value)), 1, 'start', /malformed hex string/);
      expectError(withStep(0, (s) => (s.flags = value)), 0, 'flags', /malformed hex string/);
    }
    expectError(withStep(1, (s) => (s.start = 4096)), 1, 'start', /expected a hex string, got number 4096/);
    expectError(withStep(0, (s) => (s.expect = { addr: '0xABC' })), 0, 'expect.addr', /malformed hex string "0xABC"/);
  });

  test('addresses above Number.MAX_SAFE_INTEGER are refused, not rounded', () => {
    expectError(withStep(1, (s) => (s.len = '0x20000000000000')), 1, 'len', /cannot be represented exactly/);
    // 2^53 - 1 is still fine.
    const trace = parseTrace(withStep(1, (s) => (s.len = '0x1fffffffffffff')), 'ok.json');
    expect(trace.steps[1]).toMatchObject({ op: 'munmap', len: Number.MAX_SAFE_INTEGER });
  });

  test('malformed hex in an expect row', () => {
    const row = [...(ROW3 as Json[])];
    row[4] = '0x0037';
    const err = expectError(
      withStep(5, (s) => (s.expect = { map_count: 3, vmas: [ROW1, ROW2, row] })),
      5,
      'expect.vmas[2][4]',
    );
    expect(err.message).toBe(
      `bad-trace.json: step 5 (set_ops): field 'expect.vmas[2][4]': malformed hex string "0x0037"`,
    );
    for (const col of [1, 2, 3]) {
      const r = [...(ROW2 as Json[])];
      r[col] = '0xG';
      expectError(withStep(5, (s) => (s.expect = { vmas: [ROW1, r] })), 5, `expect.vmas[1][${col}]`, /malformed hex/);
    }
  });

  test('bad expect key', () => {
    expectError(
      withStep(1, (s) => (s.expect = { err: 0, vmass: [] })),
      1,
      'expect.vmass',
      /unknown expect key 'vmass'/,
    );
    expectError(withStep(1, (s) => (s.expect = [])), 1, 'expect', /expected an object/);
  });

  test('malformed expect values', () => {
    const cases: Array<[Json, string, RegExp]> = [
      [{ err: 12 }, 'expect.err', /integer <= 0/],
      [{ state: 'MERGED' }, 'expect.state', /expected one of "START"/],
      [{ need_rmap_locks: 0 }, 'expect.need_rmap_locks', /expected a boolean/],
      [{ map_count: -1 }, 'expect.map_count', /integer >= 0/],
      [{ warnings: 0 }, 'expect.warnings', /integer >= 1/],
      [{ freed: [] }, 'expect.freed', /must not be empty/],
      [{ freed: [[2]] }, 'expect.freed[0]', /expected a pair/],
      [{ freed: [[2, -1]] }, 'expect.freed[0][1]', /integer >= 0/],
      [{ anon: {} }, 'expect.anon', /must not be empty/],
      [{ anon: { '9': [true, false] } }, 'expect.anon.9', /"1".."8"/],
      [{ anon: { '01': [true, false] } }, 'expect.anon.01', /"1".."8"/],
      [{ anon: { '2': [true] } }, 'expect.anon.2', /expected a pair/],
      [{ vmas: [[1, '0x0']] }, 'expect.vmas[0]', /10-element row/],
      [{ vmas: [[...(ROW1 as Json[]).slice(0, 7), 'close2', 1, false]] }, 'expect.vmas[0][7]', /"dummy"/],
      [{ vmas: [[...(ROW1 as Json[]).slice(0, 8), -1, false]] }, 'expect.vmas[0][8]', /integer >= 0/],
      [{ vmas: [[...(ROW1 as Json[]).slice(0, 9), 1]] }, 'expect.vmas[0][9]', /boolean/],
    ];
    for (const [value, field, detail] of cases) {
      expectError(withStep(1, (s) => (s.expect = value)), 1, field, detail);
    }
  });

  test('out-of-range anon / file ids', () => {
    expectError(withStep(2, (s) => (s.anon = 9)), 2, 'anon', /anon_vma id \(integer 1\.\.8\) or null, got 9/);
    expectError(withStep(2, (s) => (s.anon = 0)), 2, 'anon', /anon_vma id/);
    expectError(withStep(2, (s) => (s.chain = 3)), 2, 'chain', /chain length/);
    expectError(withStep(3, (s) => (s.file = 5)), 3, 'file', /file id \(integer 1\.\.4\) or null, got 5/);
    expectError(withStep(4, (s) => (s.anon = 9)), 4, 'anon', /anon_vma id/);
    expectError(withStep(4, (s) => (s.file = 0)), 4, 'file', /file id/);
    const mmap: JsonStep = { op: 'mmap', addr: '0x100000', len: '0x1000', flags: '0x33', pgoff: '0x100', file: 7 };
    expectError(docText([mmap]), 0, 'file', /file id/);
    const row = [...(ROW1 as Json[])];
    row[5] = 9;
    expectError(withStep(1, (s) => (s.expect = { vmas: [row] })), 1, 'expect.vmas[0][5]', /anon_vma id/);
    row[5] = null;
    row[6] = 5;
    expectError(withStep(1, (s) => (s.expect = { vmas: [row] })), 1, 'expect.vmas[0][6]', /file id/);
  });

  test('other wrong argument types', () => {
    expectError(docText([{ op: 'fail_prealloc', value: 'true' }]), 0, 'value', /expected a boolean/);
    expectError(withStep(5, (s) => (s.ops = 'NONE')), 5, 'ops', /expected one of "dummy", "close", "none"/);
    expectError(withStep(1, (s) => (s.op = 7)), 1, 'op', /expected an operation name/);
  });
});

// ---------------------------------------------------------------------------

describe('64-bit flags and hex helpers', () => {
  test('flags with bit 63 set are parsed exactly and written back', () => {
    const text = withStep(0, (s) => (s.flags = '0x8000000000000033'));
    const trace = parseTrace(text, 'sealed.json');
    const step = trace.steps[0];
    expect(step.op).toBe('alloc_and_link');
    if (step.op !== 'alloc_and_link') return;
    expect(step.flags).toBe((1n << 63n) | 0x33n);
    expect(formatStep(step)).toContain('"flags":"0x8000000000000033"');

    const max = parseTrace(withStep(0, (s) => (s.flags = '0xffffffffffffffff')), 'max.json').steps[0];
    expect(max.op === 'alloc_and_link' && max.flags).toBe((1n << 64n) - 1n);
  });

  test('parseHexU64 / parseHexNumber / toHex', () => {
    expect(parseHexU64('0x0')).toBe(0n);
    expect(parseHexU64('0x8000000000000000')).toBe(1n << 63n);
    expect(() => parseHexU64('0x10000000000000000')).toThrow(/malformed hex string "0x10000000000000000"/);
    expect(() => parseHexU64('0xF')).toThrow(/malformed hex string "0xF"/);
    expect(parseHexNumber('0x1000')).toBe(4096);
    expect(parseHexNumber('0x1fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseHexNumber('0x20000000000000')).toThrow(/cannot be represented exactly/);
    expect(toHex(0)).toBe('0x0');
    expect(toHex(0xabc)).toBe('0xabc');
    expect(toHex((1n << 63n) | 1n)).toBe('0x8000000000000001');
    expect(() => toHex(-1)).toThrow(RangeError);
    expect(() => toHex(1.5)).toThrow(RangeError);
    expect(() => toHex(1n << 64n)).toThrow(RangeError);
  });
});

describe('writer', () => {
  test('optional merge_new / mmap ids: absent stays absent, explicit null stays null', () => {
    const steps: JsonStep[] = [
      { op: 'merge_new', start: '0x1000', end: '0x2000', pgoff: '0x1', flags: '0x33' },
      { op: 'merge_new', start: '0x1000', end: '0x2000', pgoff: '0x1', flags: '0x33', anon: null, file: 4 },
      { op: 'mmap', addr: '0x1000', len: '0x1000', flags: '0x33', pgoff: '0x1' },
      { op: 'mmap', addr: '0x1000', len: '0x1000', flags: '0x33', pgoff: '0x1', file: null },
    ];
    const trace = parseTrace(docText(steps), 'opt.json');
    expect(trace.steps.map(formatStep)).toEqual(steps.map((s) => JSON.stringify(s)));
    const first = trace.steps[0] as MergeNewStep;
    expect([first.anon, first.file, first.anonPresent, first.filePresent]).toEqual([null, null, false, false]);
    const last = trace.steps[3] as MmapStep;
    expect([last.file, last.filePresent]).toEqual([null, true]);
  });

  test('steps built in code (no presence flags) use the canonical layout', () => {
    const steps: TraceStep[] = [
      { op: 'merge_new', start: 0x1000, end: 0x2000, pgoff: 1, flags: 0x33n, anon: null, file: 2 },
      {
        op: 'copy_vma',
        vma: 2,
        addr: 0x5000,
        len: 0x1000,
        pgoff: 5,
        expect: {
          warnings: 1,
          anon: { '3': [false, true], '1': [true, false] },
          vmas: [],
          map_count: 0,
          need_rmap_locks: false,
          vmap: 2,
          vma: null,
          freed: [[4, 0]],
        },
      },
    ];
    const trace: Trace = { format: 'vma-trace/1', kernel: 'v6.15', name: 'built', steps };
    const text = formatTrace(trace);
    expect(text).toBe(
      '{"format":"vma-trace/1","kernel":"v6.15","name":"built","steps":[\n' +
        '{"op":"merge_new","start":"0x1000","end":"0x2000","pgoff":"0x1","flags":"0x33","file":2},\n' +
        '{"op":"copy_vma","vma":2,"addr":"0x5000","len":"0x1000","pgoff":"0x5","expect":{"vma":null,"vmap":2,' +
        '"need_rmap_locks":false,"map_count":0,"vmas":[],"freed":[[4,0]],"anon":{"1":[true,false],"3":[false,true]},' +
        '"warnings":1}}\n' +
        ']}\n',
    );
    expect(formatTrace(parseTrace(text, 'built.json'))).toBe(text);
  });

  test('an empty trace is written, but refused when read (a trace needs a step)', () => {
    const text = formatTrace({ format: 'vma-trace/1', kernel: 'v6.15', name: 'empty', steps: [] });
    expect(text).toBe('{"format":"vma-trace/1","kernel":"v6.15","name":"empty","steps":[\n]}\n');
    expectError(text, null, 'steps', /at least one step/);
  });
});

describe('the operations and expectations of the ext-* and fault-* sets', () => {
  test('arguments of the new operations are checked like the old ones', () => {
    const inject = (v: JsonStep): string => docText([{ op: 'inject', point: 'vm_area_dup', count: 1, after: 0, ...v }]);
    expect(parseTrace(inject({}), 'ok.json').steps[0]).toEqual({ op: 'inject', point: 'vm_area_dup', count: 1, after: 0 });
    expectError(inject({ point: 'kmalloc' }), 0, 'point', /expected an injection point \(anon_vma_clone, /);
    expectError(inject({ count: -1 }), 0, 'count', /integer 0\.\.2147483647/);
    expectError(inject({ after: 1.5 }), 0, 'after', /got number 1\.5/);
    const max = (v: Json): string => docText([{ op: 'set_max_map_count', value: v }]);
    expectError(max(2 ** 31), 0, 'value', /integer 0\.\.2147483647/);
    const name = (v: Json): string =>
      docText([{ op: 'modify_name', vma: 1, start: '0x1000', end: '0x2000', flags: '0x33', name: v }]);
    expectError(name(5), 0, 'name', /anon_vma_name id \(integer 1\.\.4\)/);
    expect(parseTrace(name(null), 'ok.json').steps[0]).toMatchObject({ name: null, namePresent: true });
    expectError(docText([{ op: 'take_all_locks', vma: 1 }]), 0, 'vma', /take_all_locks takes: \)/);
    expectError(docText([{ op: 'vm_munmap', start: '0x1000', len: '0x1000' }]), 0, 'unlock', /missing required/);
  });

  test('mm, locked and anon_vma expectations are checked', () => {
    const mm = { total_vm: 1, locked_vm: 0, data_vm: 1, exec_vm: 0, stack_vm: 0 };
    const step = (expect: Json): string => docText([{ op: 'take_all_locks', expect }]);
    const ok = parseTrace(step({ err: 0, locked: { files: [1, 3], anon: [] }, map_count: 0, mm }), 'ok.json');
    expect(ok.steps[0].expect).toEqual({ err: 0, locked: { files: [1, 3], anon: [] }, map_count: 0, mm });
    expectError(step({ mm: { total_vm: 1, locked_vm: 0, data_vm: 1, exec_vm: 0 } }), 0, 'expect.mm.stack_vm', /missing counter/);
    expectError(step({ mm: { ...mm, pt_vm: 0 } }), 0, 'expect.mm.pt_vm', /unknown counter/);
    expectError(step({ mm: { ...mm, data_vm: -1 } }), 0, 'expect.mm.data_vm', /page count/);
    expectError(step({ locked: { files: [3, 1], anon: [] } }), 0, 'expect.locked.files[1]', /strictly increasing/);
    expectError(step({ locked: { files: [], anon: [9] } }), 0, 'expect.locked.anon[0]', /integer 1\.\.8/);
    expectError(step({ locked: { files: [] } }), 0, 'expect.locked.anon', /missing 'anon'/);
    expectError(step({ anon_vma: 0 }), 0, 'expect.anon_vma', /anon_vma id/);
  });
});

describe('mlockall, an operation of this project beyond the oracle', () => {
  test('flags are the MCL_* bits as a JSON integer 0..7, written back as such', () => {
    const doc = (v: Json): string => docText([{ op: 'mlockall', flags: v }]);
    for (const flags of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const t = parseTrace(doc(flags), 'ok.json');
      expect(t.steps[0]).toEqual({ op: 'mlockall', flags });
      expect(formatTrace(t)).toContain(`{"op":"mlockall","flags":${flags}}`);
    }
    expectError(doc(8), 0, 'flags', /MCL_\* flags \(integer 0\.\.7: MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4\), got 8/);
    expectError(doc('0x1'), 0, 'flags', /got string "0x1"/);
    expectError(docText([{ op: 'mlockall' }]), 0, 'flags', /missing required/);
    expectError(docText([{ op: 'mlockall', flags: 1, vma: 1 }]), 0, 'vma', /mlockall takes: flags/);
  });
});
