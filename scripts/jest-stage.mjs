#!/usr/bin/env node
// A jest run as a test stage: `node scripts/jest-stage.mjs NPM_SCRIPT [JEST_ARG...]` runs
// `npm run NPM_SCRIPT` (a jest command line) with the extra arguments and --json, shows jest's
// own output, and closes with one `N passed, N failed` line read from jest's JSON results,
// never from its human-readable text.
// Counted as failed: a failed test; a skipped, pending or todo test (a test that did not run
// proves nothing); a test file that failed to load or failed outside its tests; a file jest
// lists but has no result for; a run with no JSON at all. Exit status 1 if anything failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const [script, ...extra] = process.argv.slice(2);
if (!script) {
  console.error('usage: jest-stage.mjs NPM_SCRIPT [JEST_ARG...] (an npm script that runs jest)');
  process.exit(2);
}

/** `npm run --silent SCRIPT -- ARGS`: the script's own jest command line, plus ARGS. */
function npmRun(args, capture) {
  return spawnSync('npm', ['run', '--silent', script, '--', ...extra, ...args], {
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
}

/** Failures and passes in jest's --json results, and every file it reports on. */
function tally(results) {
  const problems = [];
  let passed = 0;
  const files = new Set();
  for (const file of results.testResults ?? []) {
    files.add(file.name);
    const rel = path.relative(process.cwd(), file.name);
    let failedHere = 0;
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') passed++;
      else {
        failedHere++;
        problems.push(
          `${t.status === 'failed' ? 'failed' : `not run (${t.status})`}: ${rel} › ${t.fullName}`,
        );
      }
    }
    // A file that failed without a failed test: it did not load, or a hook outside the tests threw.
    if (file.status !== 'passed' && failedHere === 0) {
      const why =
        stripVTControlCharacters(file.message || 'no message')
          .trim()
          .split('\n')
          .find((l) => l.trim()) ?? '';
      problems.push(`test file failed outside its tests: ${rel}: ${why.trim()}`);
    }
  }
  return { passed, problems, files };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'anyarch-jest-'));
try {
  const listed = npmRun(['--listTests'], true);
  const listedFiles = listed.status === 0 ? listed.stdout.split('\n').filter((l) => l.trim()) : [];
  const out = path.join(dir, 'results.json');
  const run = npmRun(['--json', `--outputFile=${out}`], false);
  let results;
  try {
    results = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    results = undefined;
  }
  const problems = [];
  let passed = 0;
  if (listed.status !== 0) problems.push(`jest --listTests exited ${listed.status}`);
  if (!results) {
    problems.push(`jest wrote no JSON results (exit status ${run.status ?? run.signal})`);
  } else {
    const t = tally(results);
    passed = t.passed;
    problems.push(...t.problems);
    for (const f of listedFiles)
      if (!t.files.has(f)) problems.push(`listed but not run: ${path.relative(process.cwd(), f)}`);
    if (run.status !== 0 && problems.length === 0)
      problems.push(`jest exited ${run.status} with every test passed`);
  }
  console.log(
    `\njest: ${listedFiles.length} test files listed, ${results?.numTotalTestSuites ?? 0} run; ` +
      `${results?.numTotalTests ?? 0} tests, ${results?.numPassedTests ?? 0} passed, ${results?.numFailedTests ?? 0} failed, ` +
      `${results?.numPendingTests ?? 0} skipped, ${results?.numTodoTests ?? 0} todo`,
  );
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(`${passed} passed, ${problems.length} failed`);
  process.exitCode = problems.length === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
