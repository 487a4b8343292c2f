// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding and reading trace files without trusting the file system.
 *
 * Only regular files are read: FIFOs, devices and sockets are reported and
 * skipped (opening a FIFO would block, a device may never end).  A file is
 * opened non-blocking and checked again with fstat() before it is read, and
 * never more than the size limit is read.  In a directory, every *.json
 * entry is a trace; any other file is listed as skipped; a dangling link, a
 * link loop or an entry that cannot be read is reported on its own while
 * the rest is still found.  Directories reached twice through links are
 * walked once.
 */

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** The default size limit of one trace file: 64 MiB. */
export const DEFAULT_MAX_TRACE_BYTES = 64 * 1024 * 1024;

/** A trace file to replay. */
export interface TraceFileEntry {
  /** The path as shown to the user (as given, joined with the names below it). */
  readonly display: string;
  /** The path to open; null for standard input ("-"). */
  readonly path: string | null;
}

/** Something named or found that is not replayed, and why. */
export interface SkippedEntry {
  readonly display: string;
  readonly reason: string;
  /**
   * True when the entry should have been a trace (named on the command line,
   * or a *.json entry) but cannot be read: bad input, exit status 2.  False
   * for files a directory holds beside its traces (README.md, *.JSON).
   */
  readonly error: boolean;
}

export interface TraceFileList {
  readonly entries: TraceFileEntry[];
  readonly skipped: SkippedEntry[];
}

/** Problems opening or reading one file, as a message for the user. */
export class TraceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFileError';
  }
}

/** What kind of file this is, in words, when it is not a regular file or directory. */
function oddKind(st: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string | null {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return null;
}

function errCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/** Why stat() failed on @p p, in words (dangling links and loops told apart). */
function statFailure(p: string, err: unknown): string {
  const code = errCode(err);
  let isLink = false;
  try {
    isLink = lstatSync(p).isSymbolicLink();
  } catch {
    /* the entry itself is gone */
  }
  if (code === 'ELOOP') return 'symbolic link loop';
  if (code === 'ENOENT') return isLink ? 'dangling symbolic link (its target does not exist)' : 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a component of the path is not a directory';
  if (code === 'ENAMETOOLONG') return 'path name too long';
  return code || (err instanceof Error ? err.message : String(err));
}

/**
 * The trace files named by @p args: "-" is standard input, a file is read
 * whatever its name, a directory is searched (recursively, in name order)
 * for *.json files.  Relative paths are resolved against @p cwd and shown
 * as given.
 */
export function findTraceFiles(args: readonly string[], cwd: string): TraceFileList {
  const entries: TraceFileEntry[] = [];
  const skipped: SkippedEntry[] = [];
  let stdinSeen = false;

  const walk = (display: string, dir: string, onPath: Set<string>): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      skipped.push({ display, reason: `cannot list directory: ${statFailure(dir, err)}`, error: true });
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const shown = join(display, name);
      const looksLikeTrace = name.endsWith('.json');
      let st;
      try {
        st = statSync(p);
      } catch (err) {
        skipped.push({ display: shown, reason: statFailure(p, err), error: true });
        continue;
      }
      if (st.isDirectory()) {
        let real: string;
        try {
          real = realpathSync(p);
        } catch (err) {
          skipped.push({ display: shown, reason: statFailure(p, err), error: true });
          continue;
        }
        if (onPath.has(real)) {
          skipped.push({ display: shown, reason: 'symbolic link loop (leads back to a directory being searched)', error: true });
          continue;
        }
        onPath.add(real);
        walk(shown, p, onPath);
        onPath.delete(real);
        continue;
      }
      const odd = oddKind(st);
      if (odd !== null) {
        skipped.push({ display: shown, reason: `not a regular file: ${odd}`, error: looksLikeTrace });
      } else if (!looksLikeTrace) {
        skipped.push({ display: shown, reason: 'not a *.json file', error: false });
      } else {
        entries.push({ display: shown, path: p });
      }
    }
  };

  for (const arg of args) {
    if (arg === '-') {
      if (!stdinSeen) entries.push({ display: '-', path: null });
      stdinSeen = true;
      continue;
    }
    const p = isAbsolute(arg) ? arg : resolve(cwd, arg);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      skipped.push({ display: arg, reason: statFailure(p, err), error: true });
      continue;
    }
    if (st.isDirectory()) {
      let real = p;
      try {
        real = realpathSync(p);
      } catch {
        /* walk() reports what cannot be listed */
      }
      walk(arg, p, new Set([real]));
      continue;
    }
    const odd = oddKind(st);
    if (odd !== null) skipped.push({ display: arg, reason: `not a regular file: ${odd}`, error: true });
    else entries.push({ display: arg, path: p });
  }
  return { entries, skipped };
}

/**
 * Read a regular file of at most @p limit bytes as UTF-8.  Throws a
 * TraceFileError saying what is wrong otherwise (never blocks on a FIFO,
 * never reads a device).
 */
export function readTraceFile(path: string, limit: number = DEFAULT_MAX_TRACE_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new TraceFileError(`cannot open: ${statFailure(path, err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new TraceFileError('is a directory');
    const odd = oddKind(st);
    if (odd !== null) throw new TraceFileError(`not a regular file: ${odd}`);
    if (st.size > limit) throw new TraceFileError(tooBig(st.size, limit));
    /* Read until EOF: the size may change under us; never keep more than limit. */
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(Math.min(limit + 1, 1 << 20));
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        throw new TraceFileError(`cannot read: ${errCode(err) || String(err)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new TraceFileError(tooBig(total, limit));
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function tooBig(size: number, limit: number): string {
  return `too large: ${size} bytes or more, over the limit of ${mib(limit)} (raise it with --max-size)`;
}

function mib(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/**
 * Read a stream (standard input) to its end, keeping at most @p limit
 * bytes; throws a TraceFileError when it holds more.
 */
export async function readStreamLimited(stream: AsyncIterable<Buffer | string>, limit: number = DEFAULT_MAX_TRACE_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const c of stream) {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      total += b.length;
      if (total > limit) throw new TraceFileError(tooBig(total, limit));
      chunks.push(b);
    }
  } catch (err) {
    if (err instanceof TraceFileError) throw err;
    throw new TraceFileError(`cannot read: ${errCode(err) || (err instanceof Error ? err.message : String(err))}`);
  }
  return Buffer.concat(chunks, total);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a trace file: UTF-8, strictly (a byte-order mark is kept for
 * the parser to report).  Throws a TraceFileError for bytes that are not
 * UTF-8, naming the offset of the first bad sequence.
 */
export function decodeTraceText(buf: Buffer): string {
  try {
    return UTF8.decode(buf);
  } catch {
    throw new TraceFileError(`not valid UTF-8: ${firstBadUtf8(buf)}`);
  }
}

/* Where the first malformed UTF-8 sequence of @p buf starts, in words. */
function firstBadUtf8(buf: Buffer): string {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let ok = len > 0 && i + len <= buf.length;
    for (let k = 1; ok && k < len; k++) ok = (buf[i + k] & 0xc0) === 0x80;
    if (ok && len === 3) {
      const c = ((b & 0x0f) << 12) | ((buf[i + 1] & 0x3f) << 6);
      ok = c >= 0x800 && (c < 0xd800 || c > 0xdfff);
    }
    if (ok && len === 4) {
      const c = ((b & 0x07) << 18) | ((buf[i + 1] & 0x3f) << 12);
      ok = c >= 0x10000 && c <= 0x10ffff;
    }
    if (!ok) return `byte 0x${b.toString(16).padStart(2, '0')} at offset ${i}`;
    i += len;
  }
  return 'an incomplete character at the end';
}
