// A stand-in step for the cancel tests: what the action's entries do (cancelOnSignals,
// endProcess) around one long phase of real work, in a temp dir of its own that it removes on
// its way out (made runnable by support/transpile.ts for __tests__/unit/util/cancel-step.test.ts):
//   node index.js MODE DIR [URL]
//   MODE command   sh -c 'sleep 300 & wait': a command whose child ignores SIGINT
//        download  URL into the temp dir
//        hang      a promise that never settles: only the last resort ends it
// It prints "ready" when the phase starts, "error: MESSAGE" when the phase fails, and
// "refused: MESSAGE" when a command it tries after that does not start. GRACE_MS, when set, is
// the time to the last resort.
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { removePathsSync } from '../../../src/cleanup.js';
import { errorMessage, exitStatusOf } from '../../../src/exit-status.js';
import { download } from '../../../src/util/download.js';
import { mustRun } from '../../../src/util/exec.js';
import { cancelOnSignals, endProcess, setLastResortCleanup } from '../../../src/util/signals.js';

const say = (line: string) => void process.stdout.write(`${line}\n`);

async function main(mode: string, dir: string, url: string): Promise<number> {
  const work = mkdtempSync(path.join(dir, 'anyarch-'));
  setLastResortCleanup(() => removePathsSync([work]));
  let status = 0;
  try {
    say('ready');
    if (mode === 'command') await mustRun('sh', ['-c', 'sleep 300 & wait']);
    else if (mode === 'download') await download(url, path.join(work, 'file'));
    else await new Promise(() => setInterval(() => undefined, 1000));
  } catch (err) {
    say(`error: ${errorMessage(err)}`);
    status = exitStatusOf(err);
  }
  try {
    await mustRun('touch', [path.join(dir, 'ran-after-the-cancel')]);
  } catch (err) {
    say(`refused: ${errorMessage(err)}`);
  }
  rmSync(work, { recursive: true, force: true });
  return status;
}

const [mode = '', dir = '', url = ''] = process.argv.slice(2);
cancelOnSignals(say, Number(process.env['GRACE_MS'] ?? 20_000));
endProcess(await main(mode, dir, url));
