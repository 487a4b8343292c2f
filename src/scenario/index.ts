// SPDX-License-Identifier: GPL-2.0-or-later
/* Scenarios: write one's own test of the port (see scenario.ts and the README). */

export { DEFAULT_FLAGS, Scenario, ScenarioError, type MergeOutcome, type OpsKind, type VmaAttributes } from './scenario';
export { layoutDiagram, layoutString, vmaLetter } from './layout';
