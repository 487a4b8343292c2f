// SPDX-License-Identifier: GPL-2.0-or-later
// Writing vma-trace/1 documents in the canonical layout of the oracle traces:
//
//   {"format":"vma-trace/1","kernel":"v6.15","name":"...","steps":[
//   {"op":...,<arguments in table order>,"expect":{...}},
//   ...
//   {"op":...}
//   ]}
//
// with a trailing newline. Each step is compact JSON on its own line; its
// keys are `op`, the arguments in the order of the format's table, then
// `expect`, whose keys follow EXPECT_KEYS.

import { isCanonicalHex, toHex } from './hex';
import { MM_COUNTER_KEYS, Trace, TraceExpect, TraceStep, VmaRow } from './types';

/*
 * Steps are written as one template string each, with no [key, value]
 * pairs, arrays or joins in between, and the small values that repeat on
 * every line (small integers, operation and column names) are converted
 * once: writing is on the path of every trace the fuzzer saves and of the
 * round trip of the whole corpus.  Keys are plain identifiers and hex
 * strings canonical, so neither needs escaping.
 */

/* The text of the integers 0..SMALL_INTS-1 (ids, refcounts, counts). */
const SMALL_INTS = 4096;
const smallInts: string[] = Array.from({ length: SMALL_INTS }, (_, i) => String(i));

/** A JSON integer; refuses values that would not round-trip. */
function int(v: number): string {
  if (v >= 0 && v < SMALL_INTS && Number.isInteger(v)) return smallInts[v];
  if (!Number.isSafeInteger(v)) throw new RangeError(`cannot write ${v} as an exact JSON integer`);
  return String(v);
}

function intOrNull(v: number | null): string {
  return v === null ? 'null' : int(v);
}

/* JSON strings already written: operation, column and mapping names repeat on every line. */
const quoted = new Map<string, string>();
const QUOTED_MAX = 1024;

function str(s: string): string {
  if (typeof s !== 'string') return JSON.stringify(s);
  const known = quoted.get(s);
  if (known !== undefined) return known;
  const q = JSON.stringify(s);
  if (quoted.size < QUOTED_MAX) quoted.set(s, q);
  return q;
}

/** A number or bigint as a quoted canonical hex string ("0x" and hex digits: nothing to escape). */
function hex(v: number | bigint): string {
  return `"${toHex(v)}"`;
}

/** A hex column that is already text; it must be canonical. */
function hexText(s: string): string {
  if (!isCanonicalHex(s)) throw new RangeError(`cannot write malformed hex string ${JSON.stringify(s)}`);
  /* Canonical hex is "0x" and hex digits: nothing to escape. */
  return `"${s}"`;
}

function bool(b: boolean): string {
  return b ? 'true' : 'false';
}

/** A step's arguments in canonical order, each as `,"name":json`. */
function argumentText(step: TraceStep): string {
  switch (step.op) {
    case 'alloc_and_link':
      return `,"start":${hex(step.start)},"end":${hex(step.end)},"pgoff":${hex(step.pgoff)},"flags":${hex(step.flags)}`;
    case 'set_anon':
      return `,"vma":${int(step.vma)},"anon":${intOrNull(step.anon)},"chain":${int(step.chain)}`;
    case 'set_ops':
      return `,"vma":${int(step.vma)},"ops":${str(step.ops)}`;
    case 'set_file':
      return `,"vma":${int(step.vma)},"file":${intOrNull(step.file)}`;
    case 'fail_prealloc':
      return `,"value":${bool(step.value)}`;
    case 'merge_new': {
      let text = `,"start":${hex(step.start)},"end":${hex(step.end)},"pgoff":${hex(step.pgoff)},"flags":${hex(step.flags)}`;
      // Optional ids are written when set, or when the source spelled out a null.
      if (step.anon !== null || step.anonPresent === true) text += `,"anon":${intOrNull(step.anon)}`;
      if (step.file !== null || step.filePresent === true) text += `,"file":${intOrNull(step.file)}`;
      return text;
    }
    case 'merge_existing':
    case 'modify_flags':
      return `,"vma":${int(step.vma)},"start":${hex(step.start)},"end":${hex(step.end)},"flags":${hex(step.flags)}`;
    case 'expand':
      return (
        `,"vma":${int(step.vma)},"start":${hex(step.start)},"end":${hex(step.end)},` +
        `"pgoff":${hex(step.pgoff)},"next":${intOrNull(step.next)}`
      );
    case 'shrink':
      return `,"vma":${int(step.vma)},"start":${hex(step.start)},"end":${hex(step.end)},"pgoff":${hex(step.pgoff)}`;
    case 'split':
      return `,"vma":${int(step.vma)},"addr":${hex(step.addr)},"new_below":${bool(step.new_below)}`;
    case 'munmap':
      return `,"start":${hex(step.start)},"len":${hex(step.len)}`;
    case 'mmap': {
      let text = `,"addr":${hex(step.addr)},"len":${hex(step.len)},"flags":${hex(step.flags)},"pgoff":${hex(step.pgoff)}`;
      if (step.file !== null || step.filePresent === true) text += `,"file":${intOrNull(step.file)}`;
      return text;
    }
    case 'merge_extend':
      return `,"vma":${int(step.vma)},"delta":${hex(step.delta)}`;
    case 'copy_vma':
      return `,"vma":${int(step.vma)},"addr":${hex(step.addr)},"len":${hex(step.len)},"pgoff":${hex(step.pgoff)}`;
    case 'brk':
      return `,"start_brk":${hex(step.start_brk)},"addr":${hex(step.addr)},"len":${hex(step.len)},"flags":${hex(step.flags)}`;
    case 'vm_unmapped_area':
      return (
        `,"length":${hex(step.length)},"low_limit":${hex(step.low_limit)},"high_limit":${hex(step.high_limit)},` +
        `"align_mask":${hex(step.align_mask)},"align_offset":${hex(step.align_offset)},` +
        `"start_gap":${hex(step.start_gap)},"topdown":${bool(step.topdown)}`
      );
    case 'expand_stack':
      return `,"vma":${int(step.vma)},"addr":${hex(step.addr)}`;
    case 'modify_flags_uffd':
      return (
        `,"vma":${int(step.vma)},"start":${hex(step.start)},"end":${hex(step.end)},` +
        `"flags":${hex(step.flags)},"give_up_on_oom":${bool(step.give_up_on_oom)}`
      );
    case 'modify_name': {
      let text = `,"vma":${int(step.vma)},"start":${hex(step.start)},"end":${hex(step.end)},"flags":${hex(step.flags)}`;
      if (step.name !== null || step.namePresent === true) text += `,"name":${intOrNull(step.name)}`;
      return text;
    }
    case 'modify_policy':
      return `,"vma":${int(step.vma)},"start":${hex(step.start)},"end":${hex(step.end)}`;
    case 'find_mergeable_anon_vma':
      return `,"vma":${int(step.vma)}`;
    case 'vm_munmap':
      return `,"start":${hex(step.start)},"len":${hex(step.len)},"unlock":${bool(step.unlock)}`;
    case 'take_all_locks':
      return '';
    case 'inject':
      return `,"point":${str(step.point)},"count":${int(step.count)},"after":${int(step.after)}`;
    case 'set_max_map_count':
      return `,"value":${int(step.value)}`;
    case 'mlockall':
      return `,"flags":${int(step.flags)}`;
    default: {
      const unreachable: never = step;
      throw new Error(`unhandled operation in ${JSON.stringify(unreachable)}`);
    }
  }
}

function formatRow(row: VmaRow): string {
  const [id, start, end, pgoff, flags, anon, file, ops, refcnt, written] = row;
  /* One template, no column array: rows are most of a long trace's text. */
  return `[${int(id)},${hexText(start)},${hexText(end)},${hexText(pgoff)},${hexText(flags)},${intOrNull(anon)},${intOrNull(file)},${str(ops)},${int(refcnt)},${bool(written)}]`;
}

/* A list of ids as a JSON array. */
function idList(l: readonly number[]): string {
  return `[${l.map(int).join(',')}]`;
}

/** An expect object's members in canonical key order, each as `,"key":json` ('' when it has none). */
function expectText(e: TraceExpect): string {
  let text = '';
  if (e.vma !== undefined) text += `,"vma":${intOrNull(e.vma)}`;
  if (e.err !== undefined) text += `,"err":${int(e.err)}`;
  if (e.addr !== undefined) text += `,"addr":${hex(e.addr)}`;
  if (e.state !== undefined) text += `,"state":${str(e.state)}`;
  if (e.vmap !== undefined) text += `,"vmap":${int(e.vmap)}`;
  if (e.need_rmap_locks !== undefined) text += `,"need_rmap_locks":${bool(e.need_rmap_locks)}`;
  if (e.anon_vma !== undefined) text += `,"anon_vma":${intOrNull(e.anon_vma)}`;
  if (e.locked !== undefined) text += `,"locked":{"files":${idList(e.locked.files)},"anon":${idList(e.locked.anon)}}`;
  if (e.map_count !== undefined) text += `,"map_count":${int(e.map_count)}`;
  if (e.mm !== undefined) {
    const mm = e.mm;
    text += `,"mm":{${MM_COUNTER_KEYS.map((k) => `${str(k)}:${int(mm[k])}`).join(',')}}`;
  }
  if (e.vmas !== undefined) text += `,"vmas":[${e.vmas.map(formatRow).join(',')}]`;
  if (e.freed !== undefined) text += `,"freed":[${e.freed.map(([id, refcnt]) => `[${int(id)},${int(refcnt)}]`).join(',')}]`;
  if (e.anon !== undefined) {
    const anon = e.anon;
    const keys = Object.keys(anon).sort((a, b) => Number(a) - Number(b));
    const body = keys.map((k) => {
      const [cloned, unlinked] = anon[k];
      return `${str(k)}:[${bool(cloned)},${bool(unlinked)}]`;
    });
    text += `,"anon":{${body.join(',')}}`;
  }
  if (e.warnings !== undefined) text += `,"warnings":${int(e.warnings)}`;
  return text;
}

/** One step as a single line of compact JSON (no trailing newline). */
export function formatStep(step: TraceStep): string {
  const args = argumentText(step);
  if (step.expect === undefined) return `{"op":${str(step.op)}${args}}`;
  const members = expectText(step.expect);
  return `{"op":${str(step.op)}${args},"expect":{${members.slice(1)}}}`;
}

/** A whole trace in the canonical layout, ending with a newline. */
export function formatTrace(trace: Trace): string {
  const header =
    `{"format":${str(trace.format)},"kernel":${str(trace.kernel)},` + `"name":${str(trace.name)},"steps":[\n`;
  const body = trace.steps.map(formatStep).join(',\n');
  return `${header}${body}${trace.steps.length > 0 ? '\n' : ''}]}\n`;
}
