// SPDX-License-Identifier: GPL-2.0-or-later
/* An in-memory CliContext for running commands inside a test. */

import { Interrupt, type CliContext, type Sink } from '../../src/cli/context';
import { TraceFileError } from '../../src/trace/files';

export interface TestContext extends CliContext {
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
}

class MemorySink implements Sink {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    private readonly onWrite?: (text: string) => void,
  ) {}
  write(text: string): void {
    this.chunks.push(text);
    this.onWrite?.(text);
  }
}

/** A context with the given standard input, directory and terminal flags. */
export function testContext(opts: { stdin?: string | Buffer; cwd?: string; tty?: boolean; onOut?: (text: string) => void } = {}): TestContext {
  const out = new MemorySink(opts.tty ?? false, opts.onOut);
  const err = new MemorySink(opts.tty ?? false);
  return {
    out,
    err,
    cwd: opts.cwd ?? process.cwd(),
    interrupt: new Interrupt(),
    readStdin: async (limit: number): Promise<Buffer> => {
      const b = Buffer.from(opts.stdin ?? '');
      if (b.length > limit) throw new TraceFileError(`too large: over ${limit} bytes`);
      return b;
    },
    stdout: () => out.chunks.join(''),
    stderr: () => err.chunks.join(''),
  };
}
