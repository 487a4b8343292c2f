// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Planting bugs in a COPY of the project's sources, never in src/: every
 * file under src/ (but the CLI and the benchmark) is transpiled into a
 * temporary directory, the planted file with each bug's edit applied behind
 * a switch of its own (each edit's text must occur exactly once), and
 * modules are loaded from there in an isolated module registry, once.  The
 * copy has its own port, stub layer, model and fuzzer, so nothing it does
 * touches the real ones; switching one bug on at a time lets all of them
 * share one copy and one warmed-up JIT.  Transpiled files are cached by
 * content (src/util/transpile.ts: transpiling is the slow part; the first
 * run fills the cache).
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { transpileCached } from '../../src/util/transpile';
import type { TraceOpName } from '../../src/trace/types';
import { COMMANDS, RUNS, SEED, SWEEP_PER_OP } from './suite';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
/* What the fuzzer never loads. */
const SKIP = /^(bench|cli)([/\\]|\.ts$)/;

/**
 * One planted bug: text of the file to replace (it must occur exactly
 * once), what replaces it while the bug is switched on, and whether the
 * text is an expression or whole statements.
 */
export interface Bug {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: 'expr' | 'stmt';
}

/** A transpiled copy of src/ with bugs planted in it, each behind its own switch. */
export interface PlantedCopy {
  readonly dir: string;
  /** require() a module of the copy (path relative to src/, no extension), once per copy. */
  load<T>(module: string): T;
  /** Switch one planted bug on (null: all off, the copy behaves as src/). */
  activate(id: string | null): void;
  dispose(): void;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !SKIP.test(relative(SRC, p))) out.push(p);
  }
  return out;
}

/* The global the planted code reads to know which bug is on. */
const SWITCH = '__vmaHarnessPlanted';
type Switchboard = { [SWITCH]?: string | null };

/* Plant one bug behind its switch. */
function plant(text: string, file: string, bug: Bug): string {
  const at = text.indexOf(bug.from);
  if (at < 0 || text.indexOf(bug.from, at + 1) >= 0) throw new Error(`plant ${bug.id}: '${bug.from}' must occur exactly once in ${file}`);
  const on = `globalThis.${SWITCH} === ${JSON.stringify(bug.id)}`;
  const swapped = bug.kind === 'expr' ? `(${on} ? (${bug.to}) : (${bug.from}))` : `if (${on}) {\n${bug.to}\n} else {\n${bug.from}\n}`;
  return text.slice(0, at) + swapped + text.slice(at + bug.from.length);
}

/**
 * Copy src/ with `bugs` planted in `file` (relative to src/), all switched
 * off; `more` plants bugs in other files too (a bug's switch is its id, so
 * edits of several files can share one switch).
 */
export function plantInCopy(file: string, bugs: readonly Bug[], more: Readonly<Record<string, readonly Bug[]>> = {}): PlantedCopy {
  const dir = mkdtempSync(join(tmpdir(), 'vma-planted-'));
  /* node_modules next to the copy, so that fast-check and friends resolve. */
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const edits = new Map<string, readonly Bug[]>([[file, bugs], ...Object.entries(more)]);
  const planted = new Set<string>();
  for (const path of sources(SRC)) {
    const rel = relative(SRC, path);
    let text = readFileSync(path, 'utf8');
    const here = edits.get(rel);
    if (here) {
      for (const bug of here) text = plant(text, rel, bug);
      planted.add(rel);
    }
    const out = join(dir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, transpileCached(text, rel));
  }
  for (const f of edits.keys()) if (!planted.has(f)) throw new Error(`plant: no file ${f} under src/`);
  const loaded = new Map<string, unknown>();
  let registry: ((m: string) => unknown) | null = null;
  jest.isolateModules(() => {
    registry = (m: string): unknown => require(join(dir, m));
  });
  return {
    dir,
    load<T>(module: string): T {
      if (!loaded.has(module)) loaded.set(module, (registry as (m: string) => unknown)(module));
      return loaded.get(module) as T;
    },
    activate(id: string | null): void {
      (globalThis as Switchboard)[SWITCH] = id;
    },
    dispose(): void {
      (globalThis as Switchboard)[SWITCH] = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Harness = typeof import('../../src/fuzz/harness');
type Sweep = typeof import('../../src/fuzz/fault_sweep');

/** Run the command-sequence phase of the property suite with one planted bug on; the failure message, or null. */
export function sequencesCatch(copy: PlantedCopy, id: string): string | null {
  copy.activate(id);
  try {
    const h = copy.load<Harness>('fuzz/harness');
    const r = h.runFuzz({ runs: RUNS, commands: COMMANDS, seed: SEED, regressionDir: null, allowKnownDefects: true, shrink: false });
    return r.failure?.message ?? null;
  } finally {
    copy.activate(null);
  }
}

/** Run the property suite's fault sweep of one operation with one planted bug on; the first failure, or null. */
export function sweepCatches(copy: PlantedCopy, id: string, op: TraceOpName): string | null {
  copy.activate(id);
  try {
    const s = copy.load<Sweep>('fuzz/fault_sweep');
    return s.faultSweep(SEED, SWEEP_PER_OP, undefined, [op]).failures[0] ?? null;
  } finally {
    copy.activate(null);
  }
}
