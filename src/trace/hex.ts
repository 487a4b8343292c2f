// SPDX-License-Identifier: GPL-2.0-or-later
// Canonical hex strings of vma-trace/1: "0x" followed by lowercase hex
// digits, no leading zeros (except "0x0" itself), at most 64 bits.

/** Thrown by the hex helpers; the trace parser turns it into a TraceFormatError. */
export class HexFormatError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'HexFormatError';
  }
}

// "0x0", or a non-zero leading digit followed by up to 15 more digits
// (16 digits = 64 bits, so anything longer is out of range).
const CANONICAL_HEX = /^0x(?:0|[1-9a-f][0-9a-f]{0,15})$/;

const U64_MAX = (1n << 64n) - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** True when `s` is a canonical vma-trace/1 hex string. */
export function isCanonicalHex(s: string): boolean {
  return CANONICAL_HEX.test(s);
}

/** Parse a canonical hex string into an unsigned 64-bit value. */
export function parseHexU64(s: string): bigint {
  if (typeof s !== 'string' || !CANONICAL_HEX.test(s)) {
    throw new HexFormatError(`malformed hex string ${JSON.stringify(s)}`);
  }
  return BigInt(s);
}

/**
 * Parse a canonical hex string into a `number`. Values above
 * Number.MAX_SAFE_INTEGER are rejected because a double cannot hold them
 * exactly.
 */
export function parseHexNumber(s: string): number {
  const v = parseHexU64(s);
  if (v > SAFE_MAX) {
    throw new HexFormatError(
      `value ${s} cannot be represented exactly as a number (it exceeds Number.MAX_SAFE_INTEGER = 0x1fffffffffffff)`,
    );
  }
  return Number(v);
}

/* Observed values repeat a lot (addresses, flag words): remember some. */
const numHex = new Map<number, string>();
const bigHex = new Map<bigint, string>();
const MEMO = 1 << 16;

/** Render an unsigned value as canonical lowercase `0x%x`. */
export function toHex(v: number | bigint): string {
  if (typeof v === 'number') {
    const hit = numHex.get(v);
    if (hit !== undefined) return hit;
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`toHex: ${v} is not a non-negative safe integer`);
    }
    const h = `0x${v.toString(16)}`;
    if (numHex.size < MEMO) numHex.set(v, h);
    return h;
  }
  const known = bigHex.get(v);
  if (known !== undefined) return known;
  if (v < 0n || v > U64_MAX) {
    throw new RangeError(`toHex: ${v} does not fit in 64 unsigned bits`);
  }
  const s = `0x${v.toString(16)}`;
  if (bigHex.size < MEMO) bigHex.set(v, s);
  return s;
}
