// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Build options of the harness that the port tests at run time.
 *
 * The v6.15 harness builds without CONFIG_DEBUG_VM_MAPLE_TREE, so
 * validate_mm() and the extra checks in vms_gather_munmap_vmas() are compiled
 * out; the port keeps them and runs them only while the option is switched on
 * here (tests and the fuzzer do, around explicit checks).
 */

export interface Kconfig {
  CONFIG_DEBUG_VM_MAPLE_TREE: boolean;
  CONFIG_DEBUG_VM_RB: boolean;
}

export const kconfig: Kconfig = {
  CONFIG_DEBUG_VM_MAPLE_TREE: false,
  CONFIG_DEBUG_VM_RB: false,
};

/** Run @fn with some options changed, then restore them. */
export function with_kconfig<R>(changes: Partial<Kconfig>, fn: () => R): R {
  const saved: Kconfig = { ...kconfig };
  Object.assign(kconfig, changes);
  try {
    return fn();
  } finally {
    Object.assign(kconfig, saved);
  }
}
