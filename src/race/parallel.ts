// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A race campaign spread over worker threads (node:worker_threads).  The
 * runs of a campaign are independent but for one number (the PCT runs'
 * estimate of a run's length, see campaign_worker.ts), so worker k of n
 * runs the runs k, k+n, k+2n, ... and this thread adds their results up in
 * the order of the run index, exactly as the sequential campaign does:
 * same runs, same counts, same coverage, the same first finding (the one
 * with the lowest run index), shrunk, reported and saved here.  Runs the
 * workers did beyond the point where the campaign stops (a finding, the
 * run count, the time limit, Ctrl-C) are not counted.
 *
 * Used for the random, PCT-mixed and random schedulers on the lock port
 * and mm port of src/ (a planted copy lives in this thread only), when the
 * compiled worker exists (dist/); otherwise the campaign runs here.
 *
 * The workers outlive a campaign for a moment: once a worker has seen where
 * its campaign stopped it waits, idle and not keeping the process alive, for
 * the next campaign of this process (a worker loads the model and warms its
 * JIT up once, not per campaign), and ends after IDLE_MS without one.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CampaignBook,
  programFor,
  runRaceCampaignAsync,
  seedOf,
  type CampaignProgress,
  type RaceCampaignOptions,
  type RaceCampaignResult,
  type StopRequest,
} from './campaign';
import type { WorkerMessage, WorkerRun, WorkerStart } from './campaign_worker';

/** Slots of the array shared with the workers (campaign_worker.ts): where to stop, pause, and each run's step count + 1. */
export const STOP_AT = 0;
export const PAUSED = 1;
export const RUN0 = 2;

/** The largest campaign (in runs) spread over threads: its shared array holds one int per run. */
const MAX_PARALLEL_RUNS = 1 << 22;

/** How long an idle worker waits for the next campaign before it ends. */
const IDLE_MS = 2000;

/* Workers done with their campaign, waiting for the next one. */
const idle: Worker[] = [];
let idleTimer: ReturnType<typeof setTimeout> | null = null;

/* End the idle workers (after IDLE_MS without a campaign). */
function endIdle(): void {
  idleTimer = null;
  for (const w of idle.splice(0)) void w.terminate();
}

/* @w has finished its campaign: keep it for the next one, without holding the process up. */
function release(w: Worker): void {
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  w.on('error', () => undefined);
  w.on('exit', () => {
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
  });
  w.unref();
  idle.push(w);
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = setTimeout(endIdle, IDLE_MS);
  idleTimer.unref();
}

/* A worker for a campaign: an idle one, else a new one. */
function acquire(): Worker {
  const w = idle.pop();
  if (w === undefined) return new Worker(workerFile());
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  w.ref();
  return w;
}

/* The compiled worker: next to this file when running from dist/, else in dist/ (tests run the sources). */
function workerFile(): string {
  if (__filename.endsWith('.js')) return join(__dirname, 'campaign_worker.js');
  return join(__dirname, '..', '..', 'dist', 'race', 'campaign_worker.js');
}

/** Can @o run over worker threads? */
export function parallelCampaignPossible(o: RaceCampaignOptions): boolean {
  return (
    (o.scheduler === 'mix' || o.scheduler === 'random') &&
    o.program === undefined &&
    o.schedule === undefined &&
    o.kernel === undefined &&
    o.port === undefined &&
    o.runs >= 1 &&
    o.runs <= MAX_PARALLEL_RUNS &&
    existsSync(workerFile())
  );
}

/**
 * Run campaign @o with o.threads worker threads when it can (see
 * parallelCampaignPossible()), else in this thread; the result is the
 * same either way (the elapsed time aside).
 */
export async function runRaceCampaignThreaded(o: RaceCampaignOptions, stop: StopRequest, progress?: (p: CampaignProgress) => void): Promise<RaceCampaignResult> {
  const n = Math.min(o.threads ?? 1, o.runs);
  if (n <= 1 || !parallelCampaignPossible(o)) return runRaceCampaignAsync(o, stop, progress);
  return runParallel(o, n, stop, progress);
}

function runParallel(o: RaceCampaignOptions, n: number, stop: StopRequest, progress?: (p: CampaignProgress) => void): Promise<RaceCampaignResult> {
  const book = new CampaignBook(o);
  const shared = new SharedArrayBuffer(4 * (o.runs + RUN0));
  const done = new Int32Array(shared);
  done[STOP_AT] = o.runs;
  const { kernel: _k, port: _p, ...plain } = o;
  const pending = new Map<number, WorkerRun>();
  let next = 0;
  let finished = false;

  return new Promise<RaceCampaignResult>((resolve, reject) => {
    /* Ctrl-C and the time limit are noticed even while no result comes in. */
    const tick = setInterval(() => drain(), 100);
    /* The workers stop before run @next; each is kept for the next campaign once it says it has stopped. */
    const stopWorkers = (): void => {
      clearInterval(tick);
      Atomics.store(done, STOP_AT, next);
      Atomics.store(done, PAUSED, 0);
      Atomics.notify(done, PAUSED);
    };
    const finish = (interrupted: boolean): void => {
      if (finished) return;
      finished = true;
      stopWorkers();
      resolve(book.result(interrupted));
    };
    const fail = (e: unknown): void => {
      if (finished) return;
      finished = true;
      stopWorkers();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    /* Account every run that is in, in index order. */
    const drain = (): void => {
      try {
        while (!finished) {
          if (next >= o.runs) return finish(false);
          if (stop.requested) return finish(true);
          if (book.timeUp()) return finish(false);
          const w = pending.get(next);
          if (w === undefined) return;
          pending.delete(next);
          const i = next++;
          book.account(w.result);
          if (w.result.finding !== null) {
            /* The workers wait while this thread shrinks (which has a time limit). */
            Atomics.store(done, PAUSED, 1);
            const stopHere = book.handle(w.result, programFor(o, i, seedOf(o, i)), i, `${w.strategy} (run ${i})`, null);
            Atomics.store(done, PAUSED, 0);
            Atomics.notify(done, PAUSED);
            if (stopHere) return finish(false);
          }
          if (progress && (i & 63) === 0) progress(book.progress());
        }
      } catch (e) {
        fail(e);
      }
    };
    for (let k = 0; k < n; k++) {
      const start: WorkerStart = { o: plain, worker: k, workers: n, shared };
      const w = acquire();
      w.on('message', (m: WorkerMessage) => {
        /* Its last results came before this (messages keep their order). */
        if (m.kind === 'stopped') return release(w);
        if (finished) return;
        for (const r of m.runs) pending.set(r.index, r);
        drain();
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!finished) fail(new Error(`race campaign worker ${k} exited with code ${code}`));
      });
      w.postMessage(start);
    }
  });
}
