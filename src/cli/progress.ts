// SPDX-License-Identifier: GPL-2.0-or-later
/* A one-line text progress bar. */

export function progressLine(done: number, total: number, note = '', width = 30): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  const bar = '#'.repeat(full) + '-'.repeat(width - full);
  return `[${bar}] ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${total}${note ? `  ${note}` : ''}`;
}
