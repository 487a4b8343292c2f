// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A planted bug lives in a copy of the port, never in src/: every module of
 * src/ is transpiled (TypeScript's transpileModule, CommonJS) into a fresh
 * temporary directory, with textual edits applied to the files named, and
 * the copy is loaded from there with require().  Unlike a Jest module mock,
 * an edit can change a line inside a function.  Each edit must match exactly
 * once, so a plant that no longer applies fails loudly instead of testing
 * the unmodified port.
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** One textual edit of one source file (path relative to src/). */
export interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

/** A planted bug: a name and its edits. */
export interface Plant {
  readonly name: string;
  readonly edits: readonly Edit[];
}

const SRC = join(__dirname, '..', '..', 'src');
const NODE_MODULES = join(__dirname, '..', '..', 'node_modules');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function applyEdits(file: string, text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    if (e.file !== file) continue;
    const n = out.split(e.find).length - 1;
    if (n !== 1) throw new Error(`plant edit for ${file} matches ${n} times (want 1): ${JSON.stringify(e.find.slice(0, 80))}`);
    out = out.replace(e.find, () => e.replace);
  }
  return out;
}

function transpile(path: string, text: string): string {
  return ts.transpileModule(text, {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  }).outputText;
}

/* Unedited files are transpiled once per test file. */
const pristine = new Map<string, string>();

/** Build the copy with @edits applied; returns its root (the src/ equivalent). */
export function buildPlantedCopy(edits: readonly Edit[]): string {
  const root = mkdtempSync(join(tmpdir(), 'vma-planted-'));
  const files = sources(SRC);
  const used = new Set(edits.map((e) => e.file));
  for (const path of files) {
    const rel = relative(SRC, path).split('\\').join('/');
    let js: string;
    if (used.delete(rel)) {
      js = transpile(path, applyEdits(rel, readFileSync(path, 'utf8'), edits));
    } else {
      js = pristine.get(path) ?? transpile(path, readFileSync(path, 'utf8'));
      pristine.set(path, js);
    }
    const dest = join(root, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  if (used.size) throw new Error(`plant edits name files that do not exist: ${[...used].join(', ')}`);
  /* fast-check and the rest resolve from the project's node_modules. */
  symlinkSync(NODE_MODULES, join(root, 'node_modules'), 'dir');
  return root;
}

/** Load a module of the copy, typed as its counterpart in src/. */
export function loadFromCopy<M>(root: string, module: string): M {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(root, `${module}.js`)) as M;
}

export function removePlantedCopy(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
