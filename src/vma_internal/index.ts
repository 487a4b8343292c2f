// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stub layer: the role tools/testing/vma/vma_internal.h plays for the
 * original harness.  src/mm imports everything it needs from here.
 */

export * from './constants';
export * from './bug';
export * from './list';
export * from './structs';
export * from './maple_tree';
export * from './maple_state_check';
export * from './fault_inject';
export * from './registry';
export * from './lock_mode';
export * from './vma_lock';
export * from './vma_alloc';
export * from './vma_iter';
export * from './anon_vma';
export * from './mm_stubs';
export * from './vma_helpers';
export * from './noops';
export * from './kconfig';
export * from './err';
