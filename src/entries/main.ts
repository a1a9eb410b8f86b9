// Entry of the action's main step (action.yml runs.main). The work is in ../main.ts.
import * as core from '@actions/core';
import { runMain } from '../main.js';
import { cancelOnSignals, endProcess } from '../util/signals.js';

cancelOnSignals((msg) => core.warning(msg));
endProcess(await runMain());
