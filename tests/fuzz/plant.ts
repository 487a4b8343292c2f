// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Planting a bug in a COPY of the project's sources, never in src/: every
 * file under src/ (but the CLI and the benchmark) is transpiled into a
 * temporary directory, the planted file with its edits applied (each edit
 * must match exactly once), and modules are loaded from there in an
 * isolated module registry.  The copy has its own port, stub layer, model
 * and fuzzer, so nothing it does touches the real ones.  Transpiled files
 * are cached by content under node_modules/.cache (transpiling is the slow
 * part; the first run fills the cache).
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type ts from 'typescript';
import type { TraceOpName } from '../../src/trace/types';
import { COMMANDS, RUNS, SEED, SWEEP_PER_OP } from './suite';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const CACHE = join(ROOT, 'node_modules', '.cache', 'vma-harness-planted');
/* What the fuzzer never loads. */
const SKIP = /^(bench|cli)([/\\]|\.ts$)/;

/** One source edit: the exact text to find and what replaces it. */
export type Edit = readonly [from: string, to: string];

/** A transpiled copy of src/ with a bug planted in it. */
export interface PlantedCopy {
  readonly dir: string;
  /** require() a module of the copy (path relative to src/, no extension) in a fresh registry. */
  load<T>(module: string): T;
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

/* TypeScript is loaded only when something is not in the cache yet. */
let typescript: typeof ts | null = null;
const TS_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version;
/* CommonJS, ES2022, per-file transpilation. */
const OPTIONS = { module: 1, target: 9, esModuleInterop: true, isolatedModules: true, noLib: true, noResolve: true };

/* The JavaScript of one source text, from the cache or freshly transpiled. */
function transpile(text: string, fileName: string): string {
  const key = createHash('sha1').update(`${TS_VERSION}\0${JSON.stringify(OPTIONS)}\0${text}`).digest('hex');
  const cached = join(CACHE, `${key}.js`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  typescript ??= require('typescript') as typeof ts;
  const js = typescript.transpileModule(text, { compilerOptions: OPTIONS as ts.CompilerOptions, fileName }).outputText;
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, js);
  return js;
}

/** Copy src/ with `edits` applied to `file` (relative to src/). */
export function plantInCopy(file: string, edits: readonly Edit[]): PlantedCopy {
  const dir = mkdtempSync(join(tmpdir(), 'vma-planted-'));
  /* node_modules next to the copy, so that fast-check and friends resolve. */
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  let planted = false;
  for (const path of sources(SRC)) {
    const rel = relative(SRC, path);
    let text = readFileSync(path, 'utf8');
    if (rel === file) {
      for (const [from, to] of edits) {
        const at = text.indexOf(from);
        if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`plant: '${from}' must occur exactly once in ${file}`);
        text = text.slice(0, at) + to + text.slice(at + from.length);
      }
      planted = true;
    }
    const out = join(dir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, transpile(text, rel));
  }
  if (!planted) throw new Error(`plant: no file ${file} under src/`);
  return {
    dir,
    load<T>(module: string): T {
      let mod: unknown;
      jest.isolateModules(() => {
        mod = require(join(dir, module));
      });
      return mod as T;
    },
    dispose(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Harness = typeof import('../../src/fuzz/harness');
type Sweep = typeof import('../../src/fuzz/fault_sweep');

/** Run the command-sequence phase of the property suite on a planted copy; the failure message, or null. */
export function sequencesCatch(file: string, edits: readonly Edit[]): string | null {
  const copy = plantInCopy(file, edits);
  try {
    const h = copy.load<Harness>('fuzz/harness');
    const r = h.runFuzz({ runs: RUNS, commands: COMMANDS, seed: SEED, regressionDir: null, allowKnownDefects: true, shrink: false });
    return r.failure?.message ?? null;
  } finally {
    copy.dispose();
  }
}

/** Run the property suite's fault sweep of one operation on a planted copy; the first failure, or null. */
export function sweepCatches(file: string, edits: readonly Edit[], op: TraceOpName): string | null {
  const copy = plantInCopy(file, edits);
  try {
    const s = copy.load<Sweep>('fuzz/fault_sweep');
    return s.faultSweep(SEED, SWEEP_PER_OP, undefined, [op]).failures[0] ?? null;
  } finally {
    copy.dispose();
  }
}
