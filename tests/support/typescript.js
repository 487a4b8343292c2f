// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `typescript` as a test sees it (jest.config.js moduleNameMapper): the
 * worker's one compiler, loaded by tests/support/environment.js.
 */
'use strict';
module.exports = globalThis.__vmaHarnessTypescript;
