// Entry of the command line (dist/cli/index.js). The work is in ../cli.ts.
import { runCli } from '../cli.js';
import { renderWorkflowCommands } from '../cli-output.js';
import { cancelOnSignals, endProcess } from '../util/signals.js';

// Inside Actions (a run: step) the runner reads the workflow commands; anywhere else they are
// shown as headings and "warning:" lines, and debug lines only with RUNNER_DEBUG=1.
if (process.env['GITHUB_ACTIONS'] !== 'true') renderWorkflowCommands(process.env['RUNNER_DEBUG'] === '1');
// Ctrl-C stops a compile and the run still removes its temporary files.
cancelOnSignals((msg) => process.stderr.write(`${msg}\n`));
endProcess(await runCli(process.argv.slice(2)));
