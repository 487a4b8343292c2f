// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page-granular comparison of two layouts (trace rows): the address space,
 * page by page (mapped or not, flags, anon_vma, file, pgoff, vm_ops), and
 * separately where VMA boundaries lie, so that a failure says whether the
 * memory itself differs or only how it is cut into VMAs (a merge that did or
 * did not happen).
 */

import type { VmaRow } from '../trace/types';

const PAGE = 4096;

interface PageInfo {
  readonly flags: string;
  readonly anon: number | null;
  readonly file: number | null;
  readonly pgoff: number;
  readonly ops: string;
}

/** The attributes of every mapped page. */
export function pageMap(rows: readonly VmaRow[]): Map<number, PageInfo> {
  const m = new Map<number, PageInfo>();
  for (const [, s, e, pgoff, flags, anon, file, ops] of rows) {
    const start = parseInt(s, 16);
    const end = parseInt(e, 16);
    const base = parseInt(pgoff, 16);
    /* pgoff runs linearly through the VMA. */
    for (let a = start; a < end; a += PAGE) m.set(a, { flags, anon, file, pgoff: base + (a - start) / PAGE, ops });
  }
  return m;
}

const hex = (v: number): string => `0x${v.toString(16)}`;
const show = (p: PageInfo | undefined): string =>
  p ? `flags ${p.flags} anon ${p.anon} file ${p.file} pgoff ${hex(p.pgoff)} ops ${p.ops}` : 'unmapped';

/** The first page whose contents differ, described; null when none. */
export function pageDiff(model: readonly VmaRow[], port: readonly VmaRow[]): string | null {
  const a = pageMap(model);
  const b = pageMap(port);
  const addrs = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  for (const addr of addrs) {
    const pa = a.get(addr);
    const pb = b.get(addr);
    if (show(pa) !== show(pb)) return `page ${hex(addr)}: model ${show(pa)}, port ${show(pb)}`;
  }
  return null;
}

/** Where the VMA boundaries differ (a merge done or not done), described; null when they agree. */
export function boundaryDiff(model: readonly VmaRow[], port: readonly VmaRow[]): string | null {
  const cuts = (rows: readonly VmaRow[]): Set<number> => {
    const s = new Set<number>();
    for (const r of rows) {
      s.add(parseInt(r[1], 16));
      s.add(parseInt(r[2], 16));
    }
    return s;
  };
  const a = cuts(model);
  const b = cuts(port);
  const onlyModel = [...a].filter((x) => !b.has(x)).sort((x, y) => x - y);
  const onlyPort = [...b].filter((x) => !a.has(x)).sort((x, y) => x - y);
  const parts: string[] = [];
  if (onlyPort.length) parts.push(`port has VMA boundaries at ${onlyPort.map(hex).join(', ')} where the model merged`);
  if (onlyModel.length) parts.push(`model has VMA boundaries at ${onlyModel.map(hex).join(', ')} where the port merged`);
  return parts.length ? parts.join('; ') : null;
}
