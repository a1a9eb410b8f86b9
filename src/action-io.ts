// What the action's steps need from the runner, as one interface: the real one goes through
// @actions/core; unit tests pass a stand-in that records what a step did.
import * as core from '@actions/core';
import type { InputName, OutputName } from './action-contract.js';

export interface ActionIO {
  getInput(name: InputName): string;
  setOutput(name: OutputName, value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  setFailed(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  /** Write the job summary (no-op where the runner gives none). */
  writeSummary(heading: string, table: readonly (readonly string[])[]): Promise<void>;
}

export const actionsIO: ActionIO = {
  getInput: (name) => core.getInput(name),
  setOutput: (name, value) => core.setOutput(name, value),
  saveState: (name, value) => core.saveState(name, value),
  getState: (name) => core.getState(name),
  setFailed: (message) => core.setFailed(message),
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  async writeSummary(heading, table) {
    if (!process.env['GITHUB_STEP_SUMMARY']) return;
    const [header = [], ...rows] = table;
    await core.summary
      .addHeading(heading, 3)
      .addTable([header.map((data) => ({ data, header: true })), ...rows.map((r) => [...r])])
      .write();
  },
};
