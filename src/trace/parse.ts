// SPDX-License-Identifier: GPL-2.0-or-later
// Reading and validating vma-trace/1 documents.
//
// The parser never executes anything: it checks the document's shape, turns
// the hex arguments into numbers / bigints and returns a typed Trace. Every
// problem is reported as a TraceFormatError that says where it was found.

import { TraceFormatError } from './errors';
import { findDuplicateKey } from './json_keys';
import { splitSteps, stepText, type StepsSplit } from './json_split';
import { HexFormatError, isCanonicalHex, parseHexNumber, parseHexU64 } from './hex';
import {
  AnonFlags,
  AnonId,
  ChainLength,
  EXPECT_KEYS,
  FileId,
  FreedEntry,
  INJECT_POINTS,
  InjectPointName,
  LockedSets,
  MERGE_STATE_NAMES,
  MM_COUNTER_KEYS,
  MmCounters,
  NameId,
  MergeStateName,
  OP_ARGUMENTS,
  TRACE_FORMAT,
  Trace,
  TraceExpect,
  TraceOpName,
  TraceStep,
  VM_OPS_KINDS,
  VmOpsKind,
  VmaId,
  VmaRow,
  isInjectPointName,
  isTraceOpName,
} from './types';

type JsonObject = Record<string, unknown>;

const TOP_LEVEL_KEYS: readonly string[] = ['format', 'kernel', 'name', 'steps'];

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasOwn(o: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Short human description of a JSON value, for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') {
    const shown = v.length > 40 ? `${v.slice(0, 40)}...` : v;
    return `string ${JSON.stringify(shown)}`;
  }
  return `${typeof v} ${String(v)}`;
}

/** Where we are in the document; builds errors for that place. */
class Locator {
  constructor(
    readonly source: string,
    readonly step: number | null,
    readonly op: string | null,
  ) {}

  fail(field: string, detail: string): never {
    throw new TraceFormatError(this.source, this.step, field, detail, this.op);
  }
}

// ---------------------------------------------------------------------------
// Scalar readers. Each takes the locator, the field path used in errors, and
// the raw JSON value, and either returns the typed value or throws.

function readString(loc: Locator, field: string, v: unknown): string {
  if (typeof v !== 'string') loc.fail(field, `expected a string, got ${describe(v)}`);
  return v;
}

function readBool(loc: Locator, field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') loc.fail(field, `expected a boolean, got ${describe(v)}`);
  return v;
}

/** A JSON integer that a double holds exactly, within [min, max]. */
function readInt(loc: Locator, field: string, v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) loc.fail(field, `expected ${what}, got ${describe(v)}`);
  if (!Number.isSafeInteger(v)) {
    loc.fail(field, `integer ${v} cannot be represented exactly (its magnitude exceeds Number.MAX_SAFE_INTEGER)`);
  }
  if (v < min || v > max) loc.fail(field, `expected ${what}, got ${v}`);
  return v;
}

/** A hex string that must fit a `number` exactly (addresses, lengths, pgoff, delta). */
function readHexNumber(loc: Locator, field: string, v: unknown): number {
  if (typeof v !== 'string') loc.fail(field, `expected a hex string, got ${describe(v)}`);
  try {
    return parseHexNumber(v);
  } catch (e: unknown) {
    if (e instanceof HexFormatError) loc.fail(field, e.message);
    throw e;
  }
}

/** A hex string holding any unsigned 64-bit value (flags). */
function readHexU64(loc: Locator, field: string, v: unknown): bigint {
  if (typeof v !== 'string') loc.fail(field, `expected a hex string, got ${describe(v)}`);
  try {
    return parseHexU64(v);
  } catch (e: unknown) {
    if (e instanceof HexFormatError) loc.fail(field, e.message);
    throw e;
  }
}

/** A hex string kept as text, but checked to be canonical. */
function readHexText(loc: Locator, field: string, v: unknown): string {
  if (typeof v !== 'string') loc.fail(field, `expected a hex string, got ${describe(v)}`);
  if (!isCanonicalHex(v)) loc.fail(field, `malformed hex string ${JSON.stringify(v)}`);
  return v;
}

function readVmaId(loc: Locator, field: string, v: unknown): VmaId {
  return readInt(loc, field, v, 'a VMA id (positive integer)', 1, Number.MAX_SAFE_INTEGER);
}

function readVmaIdOrNull(loc: Locator, field: string, v: unknown): VmaId | null {
  if (v === null) return null;
  return readInt(loc, field, v, 'a VMA id (positive integer) or null', 1, Number.MAX_SAFE_INTEGER);
}

function isAnonId(n: number): n is AnonId {
  return Number.isInteger(n) && n >= 1 && n <= 8;
}

function isFileId(n: number): n is FileId {
  return Number.isInteger(n) && n >= 1 && n <= 4;
}

function isNameId(n: number): n is NameId {
  return Number.isInteger(n) && n >= 1 && n <= 4;
}

function isChainLength(n: number): n is ChainLength {
  return n === 0 || n === 1 || n === 2;
}

function readAnonIdOrNull(loc: Locator, field: string, v: unknown): AnonId | null {
  if (v === null) return null;
  const n = readInt(loc, field, v, 'an anon_vma id (integer 1..8) or null', 1, 8);
  if (!isAnonId(n)) loc.fail(field, `expected an anon_vma id (integer 1..8) or null, got ${n}`);
  return n;
}

function readFileIdOrNull(loc: Locator, field: string, v: unknown): FileId | null {
  if (v === null) return null;
  const n = readInt(loc, field, v, 'a file id (integer 1..4) or null', 1, 4);
  if (!isFileId(n)) loc.fail(field, `expected a file id (integer 1..4) or null, got ${n}`);
  return n;
}

function readNameIdOrNull(loc: Locator, field: string, v: unknown): NameId | null {
  if (v === null) return null;
  const n = readInt(loc, field, v, 'an anon_vma_name id (integer 1..4) or null', 1, 4);
  if (!isNameId(n)) loc.fail(field, `expected an anon_vma_name id (integer 1..4) or null, got ${n}`);
  return n;
}

function readInjectPoint(loc: Locator, field: string, v: unknown): InjectPointName {
  if (typeof v !== 'string' || !isInjectPointName(v)) {
    loc.fail(field, `expected an injection point (${INJECT_POINTS.join(', ')}), got ${describe(v)}`);
  }
  return v;
}

/** The largest value an int argument (count, after, max_map_count) may take. */
const INT_MAX = 0x7fffffff;

function readChain(loc: Locator, field: string, v: unknown): ChainLength {
  const n = readInt(loc, field, v, 'a chain length (integer 0..2)', 0, 2);
  if (!isChainLength(n)) loc.fail(field, `expected a chain length (integer 0..2), got ${n}`);
  return n;
}

function readOps(loc: Locator, field: string, v: unknown): VmOpsKind {
  const found = VM_OPS_KINDS.find((k) => k === v);
  if (found === undefined) {
    loc.fail(field, `expected one of ${VM_OPS_KINDS.map((k) => `"${k}"`).join(', ')}, got ${describe(v)}`);
  }
  return found;
}

function readState(loc: Locator, field: string, v: unknown): MergeStateName {
  const found = MERGE_STATE_NAMES.find((k) => k === v);
  if (found === undefined) {
    loc.fail(field, `expected one of ${MERGE_STATE_NAMES.map((k) => `"${k}"`).join(', ')}, got ${describe(v)}`);
  }
  return found;
}

function readArray(loc: Locator, field: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) loc.fail(field, `expected an array, got ${describe(v)}`);
  return v;
}

// ---------------------------------------------------------------------------
// Step arguments.

/** Typed access to the arguments of one step object. */
class StepArgs {
  constructor(
    private readonly loc: Locator,
    private readonly obj: JsonObject,
  ) {}

  has(name: string): boolean {
    return hasOwn(this.obj, name);
  }

  private required(name: string): unknown {
    if (!this.has(name)) this.loc.fail(name, `missing required argument '${name}'`);
    return this.obj[name];
  }

  hex(name: string): number {
    return readHexNumber(this.loc, name, this.required(name));
  }

  flags(name: string): bigint {
    return readHexU64(this.loc, name, this.required(name));
  }

  vma(name: string): VmaId {
    return readVmaId(this.loc, name, this.required(name));
  }

  vmaOrNull(name: string): VmaId | null {
    return readVmaIdOrNull(this.loc, name, this.required(name));
  }

  anonOrNull(name: string): AnonId | null {
    return readAnonIdOrNull(this.loc, name, this.required(name));
  }

  fileOrNull(name: string): FileId | null {
    return readFileIdOrNull(this.loc, name, this.required(name));
  }

  /** An optional anon id: absent reads as null. */
  optionalAnon(name: string): AnonId | null {
    return this.has(name) ? this.anonOrNull(name) : null;
  }

  /** An optional file id: absent reads as null. */
  optionalFile(name: string): FileId | null {
    return this.has(name) ? this.fileOrNull(name) : null;
  }

  chain(name: string): ChainLength {
    return readChain(this.loc, name, this.required(name));
  }

  ops(name: string): VmOpsKind {
    return readOps(this.loc, name, this.required(name));
  }

  bool(name: string): boolean {
    return readBool(this.loc, name, this.required(name));
  }

  /** An optional anon_vma_name id: absent reads as null. */
  optionalName(name: string): NameId | null {
    return this.has(name) ? readNameIdOrNull(this.loc, name, this.obj[name]) : null;
  }

  /** A JSON integer in [0, INT_MAX]. */
  int(name: string, what: string): number {
    return readInt(this.loc, name, this.required(name), `${what} (integer 0..${INT_MAX})`, 0, INT_MAX);
  }

  point(name: string): InjectPointName {
    return readInjectPoint(this.loc, name, this.required(name));
  }

  /** MCL_* flags of mlockall(): a JSON integer 0..7 (0: munlockall()). */
  mcl(name: string): number {
    return readInt(this.loc, name, this.required(name), 'MCL_* flags (integer 0..7: MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4)', 0, 7);
  }
}

/** Build the typed step for `op` from its (already key-checked) arguments. */
function buildStep(op: TraceOpName, a: StepArgs): TraceStep {
  switch (op) {
    case 'alloc_and_link':
      return { op, start: a.hex('start'), end: a.hex('end'), pgoff: a.hex('pgoff'), flags: a.flags('flags') };
    case 'set_anon':
      return { op, vma: a.vma('vma'), anon: a.anonOrNull('anon'), chain: a.chain('chain') };
    case 'set_ops':
      return { op, vma: a.vma('vma'), ops: a.ops('ops') };
    case 'set_file':
      return { op, vma: a.vma('vma'), file: a.fileOrNull('file') };
    case 'fail_prealloc':
      return { op, value: a.bool('value') };
    case 'merge_new':
      return {
        op,
        start: a.hex('start'),
        end: a.hex('end'),
        pgoff: a.hex('pgoff'),
        flags: a.flags('flags'),
        anon: a.optionalAnon('anon'),
        file: a.optionalFile('file'),
        anonPresent: a.has('anon'),
        filePresent: a.has('file'),
      };
    case 'merge_existing':
      return { op, vma: a.vma('vma'), start: a.hex('start'), end: a.hex('end'), flags: a.flags('flags') };
    case 'modify_flags':
      return { op, vma: a.vma('vma'), start: a.hex('start'), end: a.hex('end'), flags: a.flags('flags') };
    case 'expand':
      return {
        op,
        vma: a.vma('vma'),
        start: a.hex('start'),
        end: a.hex('end'),
        pgoff: a.hex('pgoff'),
        next: a.vmaOrNull('next'),
      };
    case 'shrink':
      return { op, vma: a.vma('vma'), start: a.hex('start'), end: a.hex('end'), pgoff: a.hex('pgoff') };
    case 'split':
      return { op, vma: a.vma('vma'), addr: a.hex('addr'), new_below: a.bool('new_below') };
    case 'munmap':
      return { op, start: a.hex('start'), len: a.hex('len') };
    case 'mmap':
      return {
        op,
        addr: a.hex('addr'),
        len: a.hex('len'),
        flags: a.flags('flags'),
        pgoff: a.hex('pgoff'),
        file: a.optionalFile('file'),
        filePresent: a.has('file'),
      };
    case 'merge_extend':
      return { op, vma: a.vma('vma'), delta: a.hex('delta') };
    case 'copy_vma':
      return { op, vma: a.vma('vma'), addr: a.hex('addr'), len: a.hex('len'), pgoff: a.hex('pgoff') };
    case 'brk':
      return { op, start_brk: a.hex('start_brk'), addr: a.hex('addr'), len: a.hex('len'), flags: a.flags('flags') };
    case 'vm_unmapped_area':
      return {
        op,
        length: a.hex('length'),
        low_limit: a.hex('low_limit'),
        high_limit: a.hex('high_limit'),
        align_mask: a.hex('align_mask'),
        align_offset: a.hex('align_offset'),
        start_gap: a.hex('start_gap'),
        topdown: a.bool('topdown'),
      };
    case 'expand_stack':
      return { op, vma: a.vma('vma'), addr: a.hex('addr') };
    case 'modify_flags_uffd':
      return {
        op,
        vma: a.vma('vma'),
        start: a.hex('start'),
        end: a.hex('end'),
        flags: a.flags('flags'),
        give_up_on_oom: a.bool('give_up_on_oom'),
      };
    case 'modify_name':
      return {
        op,
        vma: a.vma('vma'),
        start: a.hex('start'),
        end: a.hex('end'),
        flags: a.flags('flags'),
        name: a.optionalName('name'),
        namePresent: a.has('name'),
      };
    case 'modify_policy':
      return { op, vma: a.vma('vma'), start: a.hex('start'), end: a.hex('end') };
    case 'find_mergeable_anon_vma':
      return { op, vma: a.vma('vma') };
    case 'vm_munmap':
      return { op, start: a.hex('start'), len: a.hex('len'), unlock: a.bool('unlock') };
    case 'take_all_locks':
      return { op };
    case 'inject':
      return { op, point: a.point('point'), count: a.int('count', 'a failure count'), after: a.int('after', 'a pass count') };
    case 'set_max_map_count':
      return { op, value: a.int('value', 'a map count limit') };
    case 'mlockall':
      return { op, flags: a.mcl('flags') };
    default: {
      const unreachable: never = op;
      throw new Error(`unhandled operation ${String(unreachable)}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Expectations.

/*
 * A row that is well formed in every column is taken as it is; anything
 * else goes through readVmaRowChecked(), which names the column at fault.
 * (Building the field names of all ten columns for every row, which the
 * checked path does, was most of the cost of reading a trace.)
 */
function isPlainRow(v: unknown): v is VmaRow {
  if (!Array.isArray(v) || v.length !== 10) return false;
  const [id, start, end, pgoff, flags, anon, file, ops, refcnt, written] = v as unknown[];
  return (
    typeof id === 'number' &&
    Number.isSafeInteger(id) &&
    id >= 1 &&
    typeof start === 'string' &&
    isCanonicalHex(start) &&
    typeof end === 'string' &&
    isCanonicalHex(end) &&
    typeof pgoff === 'string' &&
    isCanonicalHex(pgoff) &&
    typeof flags === 'string' &&
    isCanonicalHex(flags) &&
    (anon === null || (typeof anon === 'number' && isAnonId(anon))) &&
    (file === null || (typeof file === 'number' && isFileId(file))) &&
    typeof ops === 'string' &&
    (VM_OPS_KINDS as readonly string[]).includes(ops) &&
    typeof refcnt === 'number' &&
    Number.isSafeInteger(refcnt) &&
    refcnt >= 0 &&
    typeof written === 'boolean'
  );
}

function readVmaRow(loc: Locator, field: () => string, v: unknown): VmaRow {
  /* JSON.parse made this array for this row alone: keep it rather than copy it. */
  if (isPlainRow(v)) return v;
  return readVmaRowChecked(loc, field(), v);
}

function readVmaRowChecked(loc: Locator, field: string, v: unknown): VmaRow {
  const cols = readArray(loc, field, v);
  if (cols.length !== 10) {
    loc.fail(
      field,
      `expected a 10-element row [id, start, end, pgoff, flags, anon, file, ops, refcnt, written], got ${cols.length} elements`,
    );
  }
  const at = (i: number): string => `${field}[${i}]`;
  return [
    readVmaId(loc, at(0), cols[0]),
    readHexText(loc, at(1), cols[1]),
    readHexText(loc, at(2), cols[2]),
    readHexText(loc, at(3), cols[3]),
    readHexText(loc, at(4), cols[4]),
    readAnonIdOrNull(loc, at(5), cols[5]),
    readFileIdOrNull(loc, at(6), cols[6]),
    readOps(loc, at(7), cols[7]),
    readInt(loc, at(8), cols[8], 'a refcount (integer >= 0)', 0, Number.MAX_SAFE_INTEGER),
    readBool(loc, at(9), cols[9]),
  ];
}

function readFreed(loc: Locator, field: string, v: unknown): FreedEntry[] {
  const items = readArray(loc, field, v);
  if (items.length === 0) loc.fail(field, 'must not be empty (leave the key out instead)');
  return items.map((item, i): FreedEntry => {
    const f = `${field}[${i}]`;
    const pair = readArray(loc, f, item);
    if (pair.length !== 2) loc.fail(f, `expected a pair [id, refcnt], got ${pair.length} elements`);
    return [
      readVmaId(loc, `${f}[0]`, pair[0]),
      readInt(loc, `${f}[1]`, pair[1], 'a refcount (integer >= 0)', 0, Number.MAX_SAFE_INTEGER),
    ];
  });
}

const ANON_KEY = /^[1-8]$/;

function readMmCounters(loc: Locator, field: string, v: unknown): MmCounters {
  if (!isObject(v)) loc.fail(field, `expected an object, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    if (!(MM_COUNTER_KEYS as readonly string[]).includes(key)) {
      loc.fail(`${field}.${key}`, `unknown counter '${key}' (allowed: ${MM_COUNTER_KEYS.join(', ')})`);
    }
  }
  const read = (key: keyof MmCounters): number => {
    if (!hasOwn(v, key)) loc.fail(`${field}.${key}`, `missing counter '${key}'`);
    return readInt(loc, `${field}.${key}`, v[key], 'a page count (integer >= 0)', 0, Number.MAX_SAFE_INTEGER);
  };
  return {
    total_vm: read('total_vm'),
    locked_vm: read('locked_vm'),
    data_vm: read('data_vm'),
    exec_vm: read('exec_vm'),
    stack_vm: read('stack_vm'),
  };
}

/** A strictly increasing list of ids in [1, max]. */
function readIdList(loc: Locator, field: string, v: unknown, what: string, max: number): number[] {
  const items = readArray(loc, field, v);
  let last = 0;
  return items.map((item, i) => {
    const n = readInt(loc, `${field}[${i}]`, item, `${what} (integer 1..${max})`, 1, max);
    if (n <= last) loc.fail(`${field}[${i}]`, `ids must be strictly increasing, got ${n} after ${last}`);
    last = n;
    return n;
  });
}

function readLocked(loc: Locator, field: string, v: unknown): LockedSets {
  if (!isObject(v)) loc.fail(field, `expected an object, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    if (key !== 'files' && key !== 'anon') loc.fail(`${field}.${key}`, `unknown key '${key}' (allowed: files, anon)`);
  }
  for (const key of ['files', 'anon']) {
    if (!hasOwn(v, key)) loc.fail(`${field}.${key}`, `missing '${key}'`);
  }
  return {
    files: readIdList(loc, `${field}.files`, v.files, 'a file id', 4).filter(isFileId),
    anon: readIdList(loc, `${field}.anon`, v.anon, 'an anon_vma id', 8).filter(isAnonId),
  };
}

function readAnonMap(loc: Locator, field: string, v: unknown): Record<string, AnonFlags> {
  if (!isObject(v)) loc.fail(field, `expected an object, got ${describe(v)}`);
  const keys = Object.keys(v);
  if (keys.length === 0) loc.fail(field, 'must not be empty (leave the key out instead)');
  const out: Record<string, AnonFlags> = {};
  for (const key of keys) {
    const f = `${field}.${key}`;
    if (!ANON_KEY.test(key)) loc.fail(f, `anon_vma id key must be "1".."8", got ${JSON.stringify(key)}`);
    const pair = readArray(loc, f, v[key]);
    if (pair.length !== 2) loc.fail(f, `expected a pair [was_cloned, was_unlinked], got ${pair.length} elements`);
    out[key] = [readBool(loc, `${f}[0]`, pair[0]), readBool(loc, `${f}[1]`, pair[1])];
  }
  return out;
}

function parseExpect(loc: Locator, raw: unknown): TraceExpect {
  if (!isObject(raw)) loc.fail('expect', `expected an object, got ${describe(raw)}`);
  const out: TraceExpect = {};
  for (const key of Object.keys(raw)) {
    const f = `expect.${key}`;
    const v = raw[key];
    switch (key) {
      case 'vma':
        out.vma = readVmaIdOrNull(loc, f, v);
        break;
      case 'err':
        out.err = readInt(loc, f, v, 'an errno (integer <= 0)', Number.MIN_SAFE_INTEGER, 0);
        break;
      case 'addr':
        out.addr = readHexNumber(loc, f, v);
        break;
      case 'state':
        out.state = readState(loc, f, v);
        break;
      case 'vmap':
        out.vmap = readVmaId(loc, f, v);
        break;
      case 'need_rmap_locks':
        out.need_rmap_locks = readBool(loc, f, v);
        break;
      case 'anon_vma':
        out.anon_vma = readAnonIdOrNull(loc, f, v);
        break;
      case 'locked':
        out.locked = readLocked(loc, f, v);
        break;
      case 'mm':
        out.mm = readMmCounters(loc, f, v);
        break;
      case 'map_count':
        out.map_count = readInt(loc, f, v, 'a count (integer >= 0)', 0, Number.MAX_SAFE_INTEGER);
        break;
      case 'vmas':
        out.vmas = readArray(loc, f, v).map((row, i) => readVmaRow(loc, () => `${f}[${i}]`, row));
        break;
      case 'freed':
        out.freed = readFreed(loc, f, v);
        break;
      case 'anon':
        out.anon = readAnonMap(loc, f, v);
        break;
      case 'warnings':
        out.warnings = readInt(loc, f, v, 'a warning count (integer >= 1)', 1, Number.MAX_SAFE_INTEGER);
        break;
      default:
        loc.fail(f, `unknown expect key '${key}' (allowed: ${EXPECT_KEYS.join(', ')})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Steps and the document.

function parseStep(source: string, index: number, raw: unknown): TraceStep {
  const bare: Locator = new Locator(source, index, null);
  if (!isObject(raw)) bare.fail('', `a step must be a JSON object, got ${describe(raw)}`);
  if (!hasOwn(raw, 'op')) bare.fail('op', "missing 'op'");
  const op = raw.op;
  if (typeof op !== 'string') bare.fail('op', `expected an operation name, got ${describe(op)}`);
  if (!isTraceOpName(op)) bare.fail('op', `unknown operation ${JSON.stringify(op)}`);

  const loc: Locator = new Locator(source, index, op);
  const allowed = OP_ARGUMENTS[op];
  for (const key of Object.keys(raw)) {
    if (key !== 'op' && key !== 'expect' && !allowed.includes(key)) {
      loc.fail(key, `unknown argument '${key}' (${op} takes: ${allowed.join(', ')})`);
    }
  }
  const step = buildStep(op, new StepArgs(loc, raw));
  if (hasOwn(raw, 'expect')) step.expect = parseExpect(loc, raw.expect);
  return step;
}

/**
 * Parse and validate a vma-trace/1 document. `source` names the document
 * (usually its file name) in error messages. Throws TraceFormatError.
 */
export function parseTrace(text: string, source: string): Trace {
  if (text.startsWith('\ufeff')) {
    new Locator(source, null, null).fail(
      '',
      'the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which vma-trace/1 does not allow: save it as UTF-8 without a BOM',
    );
  }
  let trace: Trace | null = null;
  /* Below a few MiB JSON.parse() of the whole is quicker, and its tree small. */
  if (text.length >= BY_STEP_CHARS) {
    try {
      trace = parseTraceByStep(text, source);
    } catch {
      trace = null;
    }
  }
  /* Any fault, or a layout the split does not handle: the whole-document path names the first error. */
  return trace ?? parseTraceWhole(text, source);
}

const BY_STEP_CHARS = 8 << 20;

/*
 * A well-formed trace, one step at a time: JSON.parse() of the document
 * without its steps, then of each step alone, so that the parsed text of
 * only one step is held at a time (a 1,000,000-step trace would otherwise
 * hold JSON.parse()'s tree of every step besides the TraceSteps).  Returns
 * null or throws on anything wrong; parseTraceWhole() then reports it, so
 * the errors and their order are the same either way.
 */
function parseTraceByStep(text: string, source: string): Trace | null {
  const bytes = textBytes(text);
  if (bytes === null) return null;
  const steps: TraceStep[] = [];
  const split = checkByStep(bytes, source, steps);
  if (split === null) return null;
  const root = JSON.parse(split.skeleton) as { kernel: string; name: string };
  return { format: TRACE_FORMAT, kernel: root.kernel, name: root.name, steps };
}

/* The UTF-8 bytes of @text; null when it holds a lone surrogate, which UTF-8 cannot carry. */
function textBytes(text: string): Buffer | null {
  return LONE_SURROGATE.test(text) ? null : Buffer.from(text, 'utf8');
}

/* In a u-mode pattern a surrogate pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/*
 * Check the document in @bytes (valid UTF-8) step by step, keeping the
 * steps in @out if given; null or a throw on any fault.  Duplicate keys are
 * looked for in the document without its steps and in each step's text,
 * which between them hold every object of the document.
 */
function checkByStep(bytes: Buffer, source: string, out: TraceStep[] | null): StepsSplit | null {
  const split = splitSteps(bytes);
  if (split === null || split.spans.length === 0) return null;
  if (findDuplicateKey(split.skeleton) !== null) return null;
  const root: unknown = JSON.parse(split.skeleton);
  if (!isObject(root) || root.format !== TRACE_FORMAT) return null;
  for (const key of Object.keys(root)) if (!TOP_LEVEL_KEYS.includes(key)) return null;
  if (!hasOwn(root, 'kernel') || !hasOwn(root, 'name')) return null;
  const doc: Locator = new Locator(source, null, null);
  readString(doc, 'kernel', root.kernel);
  readString(doc, 'name', root.name);
  const count = split.spans.length / 2;
  for (let i = 0; i < count; i++) {
    const text = stepText(bytes, split, i);
    if (findDuplicateKey(text) !== null) return null;
    const step = parseStep(source, i, JSON.parse(text));
    if (out !== null) out.push(step);
  }
  return split;
}

/** A checked trace whose steps are parsed again from its bytes when read. */
export interface LazyTrace {
  readonly name: string;
  readonly kernel: string;
  readonly steps: { readonly length: number; readonly [index: number]: TraceStep };
}

/**
 * For very long traces: check the whole document as parseTrace() does (a
 * trace with a fault anywhere is refused before any step runs), keeping
 * only where each step's bytes are; reading steps[i] decodes and parses
 * that step again.  @p input is the document's text, or its bytes, which
 * must then be valid UTF-8 (isUtf8()) and are held instead of a string as
 * long as the trace is (a 1,000,000-step trace's text is ~110 MB).  Null
 * when the document is not plainly laid out, or starts with a byte-order
 * mark (parseTrace() then handles it, errors included).
 */
export function parseTraceLazily(input: string | Buffer, source: string): LazyTrace | null {
  const bytes = typeof input === 'string' ? textBytes(input) : input;
  if (bytes === null || (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) return null;
  let split: StepsSplit | null = null;
  let kernel = '';
  let name = '';
  try {
    split = checkByStep(bytes, source, null);
    if (split === null) return null;
    const root = JSON.parse(split.skeleton) as { kernel: string; name: string };
    kernel = root.kernel;
    name = root.name;
  } catch {
    return null;
  }
  const lazy = split;
  const steps = new Proxy({ length: lazy.spans.length / 2 } as { length: number; [index: number]: TraceStep }, {
    get(target, key) {
      if (typeof key !== 'string' || key === 'length') return Reflect.get(target, key);
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= target.length) return undefined;
      return parseStep(source, i, JSON.parse(stepText(bytes, lazy, i)));
    },
  });
  return { name, kernel, steps };
}

/*
 * The whole document at once: the reference behaviour, and every error
 * message.  A repeated key is the first fault reported, before any other
 * the document has; it is looked for only when the document turned out to
 * be faulty or its keys do not account for all its colons (see
 * keysAccountForColons()).
 */
function parseTraceWhole(text: string, source: string): Trace {
  const doc: Locator = new Locator(source, null, null);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e: unknown) {
    doc.fail('', `malformed JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  let trace: Trace;
  try {
    trace = readDocument(doc, source, root);
  } catch (e: unknown) {
    rejectDuplicateKeys(source, text, root);
    throw e;
  }
  if (!keysAccountForColons(text, root, trace)) rejectDuplicateKeys(source, text, root);
  return trace;
}

/*
 * Whether a document read without a fault can hold no repeated key,
 * without walking its text as findDuplicateKey() does.  Outside strings,
 * every colon of a JSON text follows a key; JSON.parse() keeps one member
 * per distinct key of an object, dropping the others with all they hold.
 * So with no escape in the text (a string's characters are then its
 * text's), the colons of the text number at least the members of the
 * parsed objects plus the colons of the parsed strings, and exactly that
 * when no key was dropped.  In a trace that was read without a fault, the
 * objects are the root, the steps, their expectations and the mm, locked
 * and anon objects of those, and the only strings that may hold a colon
 * are the kernel and the name (every key, operation, name of a kind or
 * state and hex string was checked against its list or pattern).
 */
function keysAccountForColons(text: string, root: unknown, trace: Trace): boolean {
  if (text.includes('\\') || !isObject(root) || !Array.isArray(root.steps)) return false;
  let members = Object.keys(root).length;
  for (const raw of root.steps as JsonObject[]) {
    members += Object.keys(raw).length;
    const e = raw.expect;
    if (!isObject(e)) continue;
    members += Object.keys(e).length;
    if (isObject(e.mm)) members += Object.keys(e.mm).length;
    if (isObject(e.locked)) members += Object.keys(e.locked).length;
    if (isObject(e.anon)) members += Object.keys(e.anon).length;
  }
  return countColons(text) === members + countColons(trace.kernel) + countColons(trace.name);
}

function countColons(s: string): number {
  let n = 0;
  for (let i = s.indexOf(':'); i !== -1; i = s.indexOf(':', i + 1)) n++;
  return n;
}

/* The trace held by a parsed document, every fault but a repeated key reported. */
function readDocument(doc: Locator, source: string, root: unknown): Trace {
  if (!isObject(root)) doc.fail('', `the document must be a JSON object, got ${describe(root)}`);

  if (!hasOwn(root, 'format')) doc.fail('format', "missing 'format'");
  if (root.format !== TRACE_FORMAT) {
    doc.fail('format', `unknown format ${describe(root.format)} (only "${TRACE_FORMAT}" is supported)`);
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      doc.fail(key, `unknown top-level key '${key}' (allowed: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
  }
  for (const key of ['kernel', 'name', 'steps']) {
    if (!hasOwn(root, key)) doc.fail(key, `missing '${key}'`);
  }
  const kernel = readString(doc, 'kernel', root.kernel);
  const name = readString(doc, 'name', root.name);
  const rawSteps = readArray(doc, 'steps', root.steps);
  if (rawSteps.length === 0) doc.fail('steps', 'a trace needs at least one step, and steps is empty');
  const steps = rawSteps.map((raw, i) => parseStep(source, i, raw));
  return { format: TRACE_FORMAT, kernel, name, steps };
}

/* JSON.parse keeps the last of two equal keys silently: refuse them, saying where. */
function rejectDuplicateKeys(source: string, text: string, root: unknown): void {
  const dup = findDuplicateKey(text);
  if (dup === null) return;
  const { path, key } = dup;
  const inStep = path[0] === 'steps' && typeof path[1] === 'number';
  const rest = inStep ? path.slice(2) : path;
  let field = '';
  for (const p of [...rest, key]) field += typeof p === 'number' ? `[${p}]` : field === '' ? p : `.${p}`;
  const detail = `duplicate key '${key}' (JSON would silently keep only the last value): write each key once`;
  if (!inStep) throw new TraceFormatError(source, null, field, detail);
  const index = path[1] as number;
  const steps = isObject(root) && Array.isArray(root.steps) ? root.steps : [];
  const raw: unknown = steps[index];
  /* Name the operation, unless it is the op key itself that is repeated. */
  const opKnown = !(rest.length === 0 && key === 'op') && isObject(raw) && typeof raw.op === 'string' && isTraceOpName(raw.op);
  throw new TraceFormatError(source, index, field, detail, opKnown && isObject(raw) ? (raw.op as string) : null);
}
