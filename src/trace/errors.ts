// SPDX-License-Identifier: GPL-2.0-or-later
// The single error type the trace parser throws.

import { escapeControl } from '../util/escape';

/**
 * A problem found while reading a vma-trace/1 document.
 *
 * - `source`: the file name the caller passed to parseTrace.
 * - `step`: index of the offending step, or null for a document-level problem.
 * - `op`: the step's operation when it is known (used only for the message).
 * - `field`: path of the offending value, relative to the step for step-level
 *   problems (`len`, `expect.vmas[2][4]`) or to the document otherwise
 *   (`format`, `steps`). Empty when the problem concerns the whole
 *   document/step (malformed JSON, a step that is not an object).
 * - `detail`: the bare description, without the location prefix.
 *
 * The message reads e.g.
 * `random-s0001.json: step 3 (munmap): field 'len': malformed hex string "0x12g"`.
 */
export class TraceFormatError extends Error {
  readonly source: string;
  readonly step: number | null;
  readonly op: string | null;
  readonly field: string;
  readonly detail: string;

  constructor(source: string, step: number | null, field: string, detail: string, op: string | null = null) {
    super(TraceFormatError.compose(source, step, field, detail, op));
    this.name = 'TraceFormatError';
    this.source = source;
    this.step = step;
    this.op = op;
    this.field = field;
    this.detail = detail;
  }

  private static compose(
    source: string,
    step: number | null,
    field: string,
    detail: string,
    op: string | null,
  ): string {
    const where = step === null ? 'document' : op === null ? `step ${step}` : `step ${step} (${op})`;
    const what = field === '' ? '' : `field '${field}': `;
    /* Everything here may come from the input: never print its control characters raw. */
    return escapeControl(`${source}: ${where}: ${what}${detail}`);
  }
}
