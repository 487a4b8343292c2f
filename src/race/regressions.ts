// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Race regressions: a shrunk failure saved as a file (fixtures/race/*.race,
 * JSON of format "vma-race/1"; not *.json, which the trace replayer takes)
 * that `npm test` and the main job replay from then on.  It
 * holds the program, the schedule, the options of the run and what was
 * found.  Replayed against the current code it must show no failure, or,
 * for a file that records a known v6.15 defect, exactly that defect.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The format tag of a race regression file. */
export const RACE_FORMAT = 'vma-race/1';

/** fixtures/race/ of the project (next to src/ or dist/). */
export function raceFixturesDir(): string {
  return join(__dirname, '..', '..', 'fixtures', 'race');
}

/** A saved race finding: the program, schedule and options that reproduce it, and what was found. */
export interface RaceRegression {
  readonly format?: string;
  readonly name?: string;
  readonly program: number[];
  readonly schedule: number[];
  readonly fixes: string[];
  readonly memoryModel: 'sc' | 'lkmm';
  /** What the run found when it was saved. */
  readonly found: { kind: string; message: string };
  /** The known defect the replay must show, or null (the replay must pass). */
  readonly expectKnown: string | null;
}

/** Bad input in a regression file: names the file and the field (exit status 2). */
export class RaceInputError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: field '${field}': ${detail}`);
    this.name = 'RaceInputError';
  }
}

function intArray(file: string, field: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    throw new RaceInputError(file, field, 'must be an array of non-negative integers');
  }
  return v as number[];
}

/** Read and check one regression file. */
export function loadRegression(file: string): RaceRegression {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RaceInputError(file, '(file)', e instanceof Error ? e.message : String(e));
  }
  if (typeof j !== 'object' || j === null) throw new RaceInputError(file, '(file)', 'not a JSON object');
  const o = j as Record<string, unknown>;
  if (o.format !== RACE_FORMAT) throw new RaceInputError(file, 'format', `must be "${RACE_FORMAT}"`);
  const fixes = o.fixes ?? [];
  if (!Array.isArray(fixes) || !fixes.every((x) => typeof x === 'string')) throw new RaceInputError(file, 'fixes', 'must be an array of commit ids');
  const mm = o.memoryModel ?? 'sc';
  if (mm !== 'sc' && mm !== 'lkmm') throw new RaceInputError(file, 'memoryModel', "must be 'sc' or 'lkmm'");
  const found = o.found as { kind?: unknown; message?: unknown } | undefined;
  if (typeof found !== 'object' || found === null || typeof found.kind !== 'string' || typeof found.message !== 'string') {
    throw new RaceInputError(file, 'found', 'must be {kind, message}');
  }
  const ek = o.expectKnown ?? null;
  if (ek !== null && typeof ek !== 'string') throw new RaceInputError(file, 'expectKnown', 'must be a known-defect id or null');
  return {
    format: RACE_FORMAT,
    name: typeof o.name === 'string' ? o.name : undefined,
    program: intArray(file, 'program', o.program),
    schedule: intArray(file, 'schedule', o.schedule),
    fixes: fixes as string[],
    memoryModel: mm,
    found: { kind: found.kind, message: found.message },
    expectKnown: ek as string | null,
  };
}

/** Every regression file under @dir. */
export function regressionFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.race'))
    .sort()
    .map((f) => join(dir, f));
}

/** Save @r under @dir (named after its content); returns the file. */
export function saveRegression(dir: string, r: RaceRegression): string {
  mkdirSync(dir, { recursive: true });
  const body = { format: RACE_FORMAT, ...r };
  const h = createHash('sha1').update(JSON.stringify([r.program, r.schedule, r.fixes, r.memoryModel])).digest('hex').slice(0, 10);
  const name = `race-${r.found.kind}-${h}`;
  const file = join(dir, `${name}.race`);
  writeFileSync(file, `${JSON.stringify({ ...body, name }, null, 1)}\n`);
  return file;
}
