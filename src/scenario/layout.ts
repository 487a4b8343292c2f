// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Layout strings for scenarios: one character per page from an origin, a
 * letter per VMA and a space for an unmapped page, e.g. "AA B  CC".  The
 * letter is fixed by the VMA's identity: A for the first VMA allocated in
 * the scenario, B for the second, and so on (a split or a copy allocates
 * one too); '#' marks a page two VMAs claim (a broken tree).
 */

import { PAGE_SIZE } from '../vma_internal/constants';
import type { vm_area_struct } from '../vma_internal/structs';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The letter of the VMA with allocation id @p id (ids count from 1). */
export function vmaLetter(id: number): string {
  return LETTERS[(id - 1) % LETTERS.length] ?? '?';
}

/** The layout string of @p vmas (address order) from @p origin; '' when there are none. */
export function layoutString(vmas: readonly vm_area_struct[], origin: number): string {
  if (vmas.length === 0) return '';
  const end = Math.max(...vmas.map((v) => v.vm_end));
  const width = Math.max(0, Math.ceil((end - origin) / PAGE_SIZE));
  const cells = new Array<string>(width).fill(' ');
  for (const v of vmas) {
    const s = Math.max(0, Math.floor((v.vm_start - origin) / PAGE_SIZE));
    const e = Math.min(width, Math.ceil((v.vm_end - origin) / PAGE_SIZE));
    for (let i = s; i < e; i++) cells[i] = cells[i] === ' ' ? vmaLetter(v.__id) : '#';
  }
  return cells.join('');
}

/**
 * A layout with a ruler (page numbers from the origin, in hex) above it and
 * a legend below:
 *
 *   0x1000  0123456789
 *           AAA  BB
 *           A=vma#1 [0x1000, 0x4000) B=vma#2 [0x6000, 0x8000)
 */
export function layoutDiagram(vmas: readonly vm_area_struct[], origin: number): string {
  const line = layoutString(vmas, origin);
  const label = `0x${origin.toString(16)}`;
  let ruler = '';
  for (let i = 0; i < Math.max(line.length, 1); i++) ruler += (i % 16).toString(16);
  const pad = ' '.repeat(label.length);
  const legend = vmas.map((v) => `${vmaLetter(v.__id)}=vma#${v.__id} [0x${v.vm_start.toString(16)}, 0x${v.vm_end.toString(16)})`).join(' ');
  return line.length ? `${label}  ${ruler}\n${pad}  ${line}\n${pad}  ${legend}` : `${label}  ${ruler}\n${pad}  (no VMAs)`;
}

/** @p expected normalised for comparison: '.' read as a space, trailing spaces dropped. */
export function normaliseLayout(expected: string): string {
  return expected.replace(/\./g, ' ').replace(/ +$/, '');
}
