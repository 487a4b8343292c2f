// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-ins for fault-injection points the stub layer does not offer yet
 * (the fault-injection issue adds them as `inject <point>`).  Each fails the
 * way TRACE_FORMAT.md says the point will.
 */

import type * as AnonVmaStubs from '../../src/vma_internal/anon_vma';
import { ENOMEM } from '../../src/vma_internal/constants';
import type { vm_area_struct } from '../../src/vma_internal/structs';

/**
 * The next anon_vma_clone() of @stubs (the port's module, or a planted
 * copy's) fails: dst->anon_vma = NULL, -ENOMEM.  Undone by
 * jest.restoreAllMocks().
 */
export function failNextAnonVmaClone(stubs: typeof AnonVmaStubs): void {
  jest.spyOn(stubs, 'anon_vma_clone').mockImplementationOnce((dst: vm_area_struct) => {
    dst.anon_vma = null;
    return -ENOMEM;
  });
}
