// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The public entry point of the vma-harness package (`import ... from
 * 'vma-harness'`).  Everything here is typed (dist/index.d.ts).
 *
 * - The port, with the kernel's names: the functions of mm/vma.c and the
 *   structures and inline helpers of mm/vma.h (vma_merge_new_range,
 *   vma_merge_struct, VMG_VMA_STATE, ...).
 * - The stub layer (tools/testing/vma/vma_internal.h): structures, flags,
 *   the VMA iterator and maple-tree stand-in, and the test controls:
 *   set_fail_prealloc / fail_nth_prealloc, warn_count / warn_records /
 *   warn_summary / warn_reset / warn_set_verbose, kconfig, vma_registry.
 * - The harness helpers of tools/testing/vma/vma.c: alloc_and_link_vma,
 *   merge_new, vmg_set_range, cleanup_mm, harness_reset, ...; and the
 *   mlockall driver (sys_mlockall, apply_mlockall_flags, MCL_*).
 * - Scenarios (Scenario): write one's own test without the traps.
 * - Traces: parseTrace, formatTrace, replayTrace / replayText / replayFile,
 *   TraceWorld, compareExpect.
 * - The reference model (VmaModel), the fuzzer (runFuzz, runScenarioFuzz,
 *   faultSweep, checkInvariants, MergeCoverage) and the layout diagrams
 *   (drawLayouts).
 */

/* The stub layer and the port, under their kernel names. */
export * from './vma_internal';
export * from './mm/vma_h';
export * from './mm/vma';
/* Defined twice (vma_internal.h and mm/vma.h both have it): the port's. */
export { vma_prev_limit } from './mm/vma_h';

/* The harness helpers of tools/testing/vma/vma.c. */
export * from './harness/helpers';
/* This project's driver of v6.15 mm/mlock.c's mlockall()/munlockall(). */
export { apply_mlockall_flags, mlock_fixup, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, sys_mlockall, sys_munlockall } from './harness/mlock';

/* Scenarios. */
export * from './scenario';

/* vma-trace/1: types, parser, writer, replayer. */
export * from './trace/format';
export { compareExpect, type FieldMismatch } from './trace/compare';
export { TraceInputError } from './trace/preconditions';
export { TraceWorld, type StepOutcome } from './trace/world';
export {
  collectTraceFiles,
  describeResult,
  replayFile,
  replayText,
  replayTrace,
  type TraceResult,
  type TraceStatus,
} from './trace/replay';
export { DEFAULT_MAX_TRACE_BYTES, findTraceFiles, readTraceFile, TraceFileError, type SkippedEntry, type TraceFileEntry, type TraceFileList } from './trace/files';

/* The reference model, the fuzzer, the invariant checker and the diagrams. */
export { VmaModel } from './fuzz/model';
export {
  FuzzFailure,
  FuzzRunError,
  FuzzStats,
  regressionTrace,
  runFuzz,
  runFuzzAsync,
  runScenarioFuzz,
  runScenarioFuzzAsync,
  type FuzzFailureReport,
  type FuzzOptions,
  type FuzzResult,
  type FuzzStop,
} from './fuzz/harness';
export { faultSweep, faultSweepAsync, SWEEP_OPS, type SweepResult } from './fuzz/fault_sweep';
export { checkInvariants, snapshotVmas, type VmaSnapshot } from './fuzz/invariants';
export { MERGE_CASES, MergeCoverage, PATH_ROWS, type MergeCase } from './fuzz/coverage';
export { KNOWN_DEFECTS, knownDefect, type KnownDefect } from './known_defects';
export { drawLayouts, stepRange, type DiagramLine } from './fuzz/diagram';

/* The command line, for scripts that want to run it in-process. */
export { main as cliMain } from './cli';
export { REPORT_SCHEMA, type ReportJson, type ReplayJson, type FuzzJson, type TraceJson, type FuzzFailureJson, type SkippedJson } from './cli/report';
export { VERSION } from './version';
