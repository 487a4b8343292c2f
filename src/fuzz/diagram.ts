// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel-style ASCII diagrams of a layout: one column per page, one letter
 * per VMA (A for the lowest id, and so on), '.' for unmapped pages, and a
 * marker line under the range an operation works on:
 *
 *   0x100000       0123456789abcdef0123
 *   port           AAAA..BBBBBCCC......
 *   model          AAAA..BBBBBBBB......
 *   merge_new         <-->
 *
 * A stretch of more than 32 unmapped pages (a stack mapped far above the
 * window) is folded into one '~' column.
 */

import type { TraceStep, VmaRow } from '../trace/types';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PAGE = 4096;
/* Unmapped stretches longer than this many pages are folded. */
const FOLD = 32;

/** The range a step works on, if it has one. */
export function stepRange(step: TraceStep, rows: readonly VmaRow[]): [number, number] | null {
  switch (step.op) {
    case 'alloc_and_link':
    case 'merge_new':
    case 'merge_existing':
    case 'modify_flags':
    case 'expand':
    case 'shrink':
      return [step.start, step.end];
    case 'munmap':
      return [step.start, step.start + Math.ceil(step.len / PAGE) * PAGE];
    case 'mmap':
      return [step.addr, step.addr + step.len];
    case 'copy_vma':
      return [step.addr, step.addr + step.len];
    case 'split':
      return [step.addr, step.addr + PAGE];
    case 'merge_extend': {
      const v = rows.find((r) => r[0] === step.vma);
      return v ? [parseInt(v[2], 16), parseInt(v[2], 16) + step.delta] : null;
    }
    default:
      return null;
  }
}

export interface DiagramLine {
  readonly label: string;
  readonly rows: readonly VmaRow[];
}

/**
 * Draw several layouts over the same window, with the letters assigned by
 * VMA id across all of them, and mark @range.
 */
export function drawLayouts(lines: readonly DiagramLine[], range: [number, number] | null, rangeLabel = ''): string {
  const all = lines.flatMap((l) => l.rows);
  const starts = all.map((r) => parseInt(r[1], 16));
  const ends = all.map((r) => parseInt(r[2], 16));
  if (range) {
    starts.push(range[0]);
    ends.push(range[1]);
  }
  if (!starts.length) return lines.map((l) => `${l.label.padEnd(14)} (no VMAs)`).join('\n');
  const lo = Math.floor(Math.min(...starts) / (16 * PAGE)) * 16 * PAGE;
  const hi = Math.max(...ends);
  const width = Math.ceil((hi - lo) / PAGE);
  const ids = [...new Set(all.map((r) => r[0]))].sort((a, b) => a - b);
  const letter = (id: number): string => LETTERS[ids.indexOf(id) % LETTERS.length];

  const grid: string[][] = lines.map((l) => {
    const cells = new Array<string>(width).fill('.');
    for (const r of l.rows) {
      const s = (parseInt(r[1], 16) - lo) / PAGE;
      const e = (parseInt(r[2], 16) - lo) / PAGE;
      for (let i = Math.max(0, s); i < Math.min(width, e); i++) cells[i] = cells[i] === '.' ? letter(r[0]) : '#';
    }
    return cells;
  });
  const marks = new Array<string>(width).fill(' ');
  if (range) {
    const s = Math.max(0, Math.floor((range[0] - lo) / PAGE));
    const e = Math.ceil((range[1] - lo) / PAGE);
    if (e - s <= 1) marks[s] = '^';
    else for (let i = s; i < e && i < width; i++) marks[i] = i === s ? '<' : i === e - 1 ? '>' : '-';
  }
  /* Long stretches of unmapped pages (a stack far above the window) fold into one '~' column. */
  const keep: (number | null)[] = [];
  for (let i = 0; i < width; ) {
    let j = i;
    while (j < width && marks[j] === ' ' && grid.every((c) => c[j] === '.')) j++;
    if (j - i > FOLD) {
      keep.push(null);
      i = j;
    } else {
      for (let k = i; k < Math.max(j, i + 1); k++) keep.push(k);
      i = Math.max(j, i + 1);
    }
  }
  const column = (row: readonly string[], fold: string): string => keep.map((k) => (k === null ? fold : row[k])).join('');

  const out: string[] = [];
  out.push(`${`0x${lo.toString(16)}`.padEnd(14)} ${column([...Array(width).keys()].map((i) => (i % 16).toString(16)), '~')}`);
  lines.forEach((l, n) => out.push(`${l.label.padEnd(14)} ${column(grid[n], '~')}`));
  if (range) out.push(`${rangeLabel.padEnd(14)} ${column(marks, ' ').trimEnd()}`);
  const legend = ids.map((id) => `${letter(id)}=vma#${id}`).join(' ');
  out.push(`${''.padEnd(14)} ${legend}`);
  return out.join('\n');
}
