// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Planting a bug in a COPY of the lock model or of the port, never in src/:
 * every TypeScript file of src/<dir> is copied to a temporary directory,
 * the requested edits are applied to the copy (each must match exactly
 * once, so a plant cannot silently stop applying when the source changes),
 * imports that leave the directory are pointed at the running originals,
 * and the copy is transpiled with the TypeScript compiler and loaded (a file
 * no edit touches is taken from the build, dist/, when that is up to date,
 * with its imports pointed the same way).  The
 * race explorer then runs the copy (its kernel or port option); everything
 * else is the original code.
 *
 * Works under Jest (the originals are the .ts sources, so the copy shares
 * their module instances) and under node from dist/ (the benchmark).  Needs
 * the typescript package, a development dependency.
 *
 * Transpiled files are cached by content (src/util/transpile.ts).
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { builtJs, transpileCached } from '../util/transpile';

/** One edit of one file: @from (text or pattern) must occur exactly once. */
export interface PlantEdit {
  /** The file, relative to its directory (e.g. "mm_h.ts"). */
  readonly file: string;
  readonly from: string | RegExp;
  readonly to: string;
}

/** A bug to plant: which directory of src/ it lives in and the edits. */
export interface PlantSpec {
  readonly dir: 'lock' | 'mm';
  readonly edits: readonly PlantEdit[];
}

/* src/ (the TypeScript sources) and the directory the running code was loaded from (src/ or dist/). */
const RUNTIME_ROOT = resolve(__dirname, '..');
const SOURCE_ROOT = resolve(__dirname, '..', '..', 'src');

const made: string[] = [];

function applyEdit(text: string, e: PlantEdit): string {
  if (typeof e.from === 'string') {
    const first = text.indexOf(e.from);
    if (first < 0 || text.indexOf(e.from, first + 1) >= 0) {
      throw new Error(`plant: '${e.from.slice(0, 60)}' must occur exactly once in ${e.file} (found ${first < 0 ? 0 : 'several'})`);
    }
    return text.slice(0, first) + e.to + text.slice(first + e.from.length);
  }
  const re = new RegExp(e.from.source, e.from.flags.includes('g') ? e.from.flags : `${e.from.flags}g`);
  const n = [...text.matchAll(re)].length;
  if (n !== 1) throw new Error(`plant: ${String(e.from)} must match exactly once in ${e.file} (matched ${n})`);
  return text.replace(re, e.to);
}

/* Point imports that leave the copied directory at the running originals. */
function retarget(text: string, dir: string): string {
  return text.replace(/(from\s+|require\()(['"])(\.{1,2}\/[^'"]+)\2/g, (m, lead: string, q: string, spec: string) => {
    const target = resolve(join(SOURCE_ROOT, dir), spec);
    const rel = relative(join(SOURCE_ROOT, dir), target);
    if (!rel.startsWith('..')) return m;
    const runtime = join(RUNTIME_ROOT, relative(SOURCE_ROOT, target));
    return `${lead}${q}${runtime.split('\\').join('/')}${q}`;
  });
}

/**
 * Load a copy of src/<spec.dir> with @spec's edits; returns the module
 * @entry of the copy (e.g. "index" for the lock, "vma" for the port).
 */
export function plantedCopy<T>(spec: PlantSpec, entry: string): T {
  const src = join(SOURCE_ROOT, spec.dir);
  const out = mkdtempSync(join(tmpdir(), `vma-plant-${spec.dir}-`));
  made.push(out);
  const pending = new Map<string, PlantEdit[]>();
  for (const e of spec.edits) pending.set(e.file, [...(pending.get(e.file) ?? []), e]);
  for (const f of readdirSync(src)) {
    if (!f.endsWith('.ts')) continue;
    const edits = pending.get(f) ?? [];
    pending.delete(f);
    const built = edits.length === 0 ? builtJs(`${spec.dir}/${f}`) : null;
    let js: string;
    if (built !== null) {
      js = retarget(built, spec.dir);
    } else {
      let text = readFileSync(join(src, f), 'utf8');
      for (const e of edits) text = applyEdit(text, e);
      js = transpileCached(retarget(text, spec.dir), f);
    }
    writeFileSync(join(out, f.replace(/\.ts$/, '.js')), js);
  }
  if (pending.size) throw new Error(`plant: no file ${[...pending.keys()].join(', ')} in src/${spec.dir}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(out, `${entry}.js`)) as T;
}

/** Remove the temporary copies made so far. */
export function plantCleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The directory a copy was made from (for messages). */
export function plantSource(spec: PlantSpec): string {
  return relative(dirname(SOURCE_ROOT), join(SOURCE_ROOT, spec.dir));
}
