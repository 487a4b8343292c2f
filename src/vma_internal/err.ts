// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Error pointers (include/linux/err.h).  A function that returns "a VMA or
 * ERR_PTR(-errno)" returns vm_area_struct | ErrPtr here.  Functions returning
 * an unsigned long that may hold -errno (mmap_region(), unmapped_area())
 * return the negative number itself; IS_ERR_VALUE() recognises it.
 */

export const MAX_ERRNO = 4095;

export class ErrPtr {
  constructor(readonly err: number) {}
}

export function ERR_PTR(err: number): ErrPtr {
  return new ErrPtr(err);
}

export function IS_ERR(ptr: unknown): ptr is ErrPtr {
  return ptr instanceof ErrPtr;
}

export function PTR_ERR(ptr: ErrPtr): number {
  return ptr.err;
}

/** Does an unsigned long return value encode -errno? */
export function IS_ERR_VALUE(x: number): boolean {
  return x < 0 && x >= -MAX_ERRNO;
}
