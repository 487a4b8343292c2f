// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mas_store_gfp() as mm/vma.c and mm/vma.h call it: the maple tree's own
 * function behind the mas_store_gfp failure point (fault_inject).  The stub
 * layer's callers (vma_iter_clear_gfp(), itself a failure point) use the
 * maple tree's function directly, so their stores are not counted here.
 *
 * Not re-exported by index.ts, whose maple_tree export has the same name;
 * the port imports this module directly.
 */

import { ENOMEM, type gfp_t } from './constants';
import { mas_store_gfp_should_fail } from './fault_inject';
import { ma_error, mas_store_gfp as maple_mas_store_gfp, type ma_state } from './maple_tree';

/**
 * Store @entry over the state's range, allocating as needed: 0, or -ENOMEM
 * with the state in the error state and nothing stored when the failure point
 * fails this store.  Stores with __GFP_NOFAIL, and a store of index 0 alone
 * into an empty tree (kept in the root, nothing to allocate), never fail.
 */
export function mas_store_gfp<T>(mas: ma_state<T>, entry: T | null, gfp: gfp_t): number {
  if (mas_store_gfp_should_fail(gfp, mas.index === 0 && mas.last === 0 && mas.tree.ranges.size === 0)) {
    mas.status = ma_error;
    mas.error = -ENOMEM;
    return -ENOMEM;
  }
  return maple_mas_store_gfp(mas, entry, gfp);
}
