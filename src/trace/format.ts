// SPDX-License-Identifier: GPL-2.0-or-later
// Public entry point for vma-trace/1: types, the parser/validator and the
// canonical writer. The implementation lives in the neighbouring modules.

export * from './types';
export { TraceFormatError } from './errors';
export { HexFormatError, isCanonicalHex, parseHexNumber, parseHexU64, toHex } from './hex';
export { parseTrace } from './parse';
export { formatStep, formatTrace } from './write';
