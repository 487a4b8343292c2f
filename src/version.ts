// SPDX-License-Identifier: GPL-2.0-or-later
export const VERSION = "0.1.0";
