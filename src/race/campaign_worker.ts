// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A worker thread of a parallel race campaign (parallel.ts): runs the runs
 * whose index is @worker modulo @workers, in increasing order, exactly as
 * the sequential campaign would run them (same program, same strategy, same
 * seed), and posts their results in small batches; the main thread adds
 * them up in index order.  Then it says it has stopped and waits for the
 * next campaign (a message with the next WorkerStart).
 *
 * The one thing a run takes from the runs before it is the PCT runs'
 * estimate of a run's length (CampaignBook.estimate), folded over the step
 * counts of every earlier run.  Each worker publishes its step counts in a
 * shared array and, before a run that needs the estimate, waits
 * (Atomics.wait, never spinning) until the earlier runs of the other
 * workers are in.  Slot 0 of the array is where to stop and slot 1 is
 * set while the main thread shrinks a finding (the workers wait, so the
 * shrinking, which has a time limit, gets the CPU as it would alone).
 */

import { parentPort, type MessagePort } from 'node:worker_threads';
import { programFor, runOnce, seedOf, strategyFor, usesEstimate, nextEstimate, FIRST_ESTIMATE, type RaceCampaignOptions } from './campaign';
import type { RunResult } from './explorer';
import { PAUSED, RUN0, STOP_AT } from './parallel';

/** What a worker is started with. */
export interface WorkerStart {
  readonly o: RaceCampaignOptions;
  readonly worker: number;
  readonly workers: number;
  /** Int32Array over it: [STOP_AT] stop before this run index; [PAUSED] 1: wait; [RUN0 + i] run i's step count + 1 once done (0 before). */
  readonly shared: SharedArrayBuffer;
}

/** One run's result as posted (the choices only when it found something). */
export interface WorkerRun {
  readonly index: number;
  readonly strategy: string;
  readonly result: RunResult;
}

/** What a worker posts: results, or that it has stopped (its runs are done, or the campaign stopped it). */
export type WorkerMessage = { readonly kind: 'runs'; readonly runs: readonly WorkerRun[] } | { readonly kind: 'stopped' };

/** How many runs go in one message. */
const BATCH = 8;

/* Run the campaign @start describes, posting results through @port. */
function campaign(port: MessagePort, start: WorkerStart): void {
  const { o, worker, workers, shared } = start;
  const done = new Int32Array(shared);
  let estimate = FIRST_ESTIMATE;
  let folded = 0;
  let batch: WorkerRun[] = [];
  for (let i = worker; i < o.runs && i < Atomics.load(done, STOP_AT); i += workers) {
    while (Atomics.load(done, PAUSED) !== 0) Atomics.wait(done, PAUSED, 1, 1000);
    const runSeed = seedOf(o, i);
    const program = programFor(o, i, runSeed);
    if (usesEstimate(o, i)) {
      for (; folded < i; folded++) {
        while (Atomics.load(done, RUN0 + folded) === 0) {
          if (folded >= Atomics.load(done, STOP_AT)) return;
          Atomics.wait(done, RUN0 + folded, 0, 100);
        }
        estimate = nextEstimate(estimate, Atomics.load(done, RUN0 + folded) - 1);
      }
    }
    const strategy = strategyFor(o, i, runSeed, estimate);
    const r = runOnce(o, program, strategy);
    Atomics.store(done, RUN0 + i, r.steps + 1);
    Atomics.notify(done, RUN0 + i);
    /* The choices travel only with a finding (the main thread shrinks it). */
    const result: RunResult = r.finding === null ? { ...r, decisions: [], choiceMeta: [], picks: [] } : r;
    batch.push({ index: i, strategy: strategy.name, result });
    if (batch.length >= BATCH || r.finding !== null) {
      post(port, { kind: 'runs', runs: batch });
      batch = [];
    }
  }
  if (batch.length) post(port, { kind: 'runs', runs: batch });
}

function post(port: MessagePort, m: WorkerMessage): void {
  port.postMessage(m);
}

const port = parentPort;
if (port !== null) {
  port.on('message', (start: WorkerStart) => {
    campaign(port, start);
    post(port, { kind: 'stopped' });
  });
}
