// Entry of the action's main step (action.yml runs.main). The work is in ../main.ts.
import * as core from '@actions/core';
import { runMain } from '../main.js';
import { forwardSignalsToChildren } from '../util/signals.js';

forwardSignalsToChildren((msg) => core.warning(msg));
process.exitCode = await runMain();
