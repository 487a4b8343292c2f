// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a command gets from the process, gathered in one object so that the
 * commands can be run in-process by the tests: the two output streams,
 * standard input, the directory relative paths are resolved against, and
 * the interrupt request (Ctrl-C).
 *
 * Relative paths are the caller's: `npm run replay -- rel/path` runs the
 * command in the package root, and npm passes the directory it was started
 * from in INIT_CWD, so that directory is used when npm started us from our
 * own package.
 */

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readStreamLimited } from '../trace/files';

/** An output stream. */
export interface Sink {
  write(text: string): void;
  /** True for a terminal (progress bars are drawn only there). */
  readonly isTTY: boolean;
}

/** Asks a long run to stop at the next convenient point (Ctrl-C). */
export class Interrupt {
  private flag = false;
  private last = Date.now();

  /** Has a stop been asked for? */
  get requested(): boolean {
    return this.flag;
  }

  /** Ask for a stop. */
  request(): void {
    this.flag = true;
  }

  /**
   * Let the event loop deliver pending signals, at most every 50 ms (the
   * commands run synchronous code between these points).
   */
  async pause(): Promise<void> {
    const now = Date.now();
    if (now - this.last < 50) return;
    this.last = now;
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** Everything a command reads from or writes to the outside. */
export interface CliContext {
  readonly out: Sink;
  readonly err: Sink;
  /** Standard input to its end, at most @p limit bytes (throws TraceFileError past that). */
  readStdin(limit: number): Promise<Buffer>;
  /** The directory relative paths are resolved against. */
  readonly cwd: string;
  readonly interrupt: Interrupt;
}

/** The package root (holding package.json), from src/cli or dist/cli. */
export function packageRoot(): string {
  return resolve(__dirname, '..', '..');
}

/** The directory the user typed the command in (see the comment at the top). */
export function callerCwd(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const init = env.INIT_CWD;
  if (init && env.npm_lifecycle_event && resolve(cwd) === packageRoot()) {
    try {
      if (statSync(init).isDirectory()) return init;
    } catch {
      /* fall back to the process's own directory */
    }
  }
  return cwd;
}

/* Streams that already end the process quietly on EPIPE. */
const watched = new WeakSet<NodeJS.WriteStream>();

/** A Sink over a process stream that stops quietly when the reader went away. */
class ProcessSink implements Sink {
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly onClosed: () => void,
  ) {
    if (!watched.has(stream)) {
      watched.add(stream);
      stream.on('error', (err: NodeJS.ErrnoException) => {
        /* EPIPE, or a write to the stream that EPIPE destroyed. */
        if (err.code === 'EPIPE' || stream.destroyed) onClosed();
        else throw err;
      });
    }
  }

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  write(text: string): void {
    if (this.stream.destroyed) return;
    try {
      this.stream.write(text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') this.onClosed();
      else throw err;
    }
  }
}

let stdinReads = 0;

/** Is standard input being read (replay -)? */
export function stdinInUse(): boolean {
  return stdinReads > 0;
}

/** Exit status when our output pipe was closed under us (128 + SIGPIPE), as for a Unix tool killed by SIGPIPE. */
export const EXIT_PIPE_CLOSED = 141;

/** The context of a real process run. */
export function processContext(): CliContext {
  const closed = (): void => {
    /* Nobody reads what we write any more: end now, quietly. */
    process.exit(EXIT_PIPE_CLOSED);
  };
  return {
    out: new ProcessSink(process.stdout, closed),
    err: new ProcessSink(process.stderr, closed),
    readStdin: async (limit) => {
      stdinReads++;
      try {
        return await readStreamLimited(process.stdin, limit);
      } finally {
        stdinReads--;
      }
    },
    cwd: callerCwd(),
    interrupt: new Interrupt(),
  };
}
