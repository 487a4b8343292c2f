// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A minimal stand-in for the kernel's struct list_head, enough for the
 * anon_vma_chain lists that mm/vma.c and the harness touch: initialise, add at
 * the head, test for emptiness and for a single element, and walk.
 */

/*
 * The elements of every list that has never held one: most VMAs never get
 * an anon_vma_chain entry, so they share this (frozen: a write to it
 * throws) instead of allocating an array each.
 */
const NO_ITEMS: readonly never[] = Object.freeze([]);

export class list_head<T> {
  /** Elements from the head of the list to its tail. */
  items: T[] = NO_ITEMS as never[];
}

/** INIT_LIST_HEAD(): make the list empty. */
export function INIT_LIST_HEAD<T>(head: list_head<T>): void {
  /* Most lists are empty already; setting length is a slow builtin call. */
  if (head.items.length !== 0) head.items.length = 0;
}

/** list_add(): insert an element right after the head. */
export function list_add<T>(entry: T, head: list_head<T>): void {
  if ((head.items as readonly unknown[]) === NO_ITEMS) head.items = [entry];
  else head.items.unshift(entry);
}

/** list_add_tail(): insert an element at the tail. */
export function list_add_tail<T>(entry: T, head: list_head<T>): void {
  if ((head.items as readonly unknown[]) === NO_ITEMS) head.items = [entry];
  else head.items.push(entry);
}

export function list_empty<T>(head: list_head<T>): boolean {
  return head.items.length === 0;
}

/** list_is_singular(): exactly one element. */
export function list_is_singular<T>(head: list_head<T>): boolean {
  return head.items.length === 1;
}

/** list_for_each_entry(): visit the elements in order. */
export function list_for_each_entry<T>(head: list_head<T>, fn: (entry: T) => void): void {
  const items = head.items;
  for (let i = 0; i < items.length; i++) fn(items[i]);
}
