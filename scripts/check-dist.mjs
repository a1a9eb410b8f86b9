#!/usr/bin/env node
// Fail when the committed dist/ is not what `npm run bundle` produces from the current sources.
// Bundles into a temporary directory (DIST_DIR) so the working tree is left alone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const committed = path.join(root, 'dist');
const scratch = mkdtempSync(path.join(tmpdir(), 'anyarch-check-dist-'));
const fresh = path.join(scratch, 'dist');

function files(dir) {
  const out = [];
  const walk = (rel) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else out.push(r);
    }
  };
  try {
    walk('');
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  return out;
}

let status = 0;
try {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['run', '--silent', 'bundle'], {
    cwd: root,
    env: { ...process.env, DIST_DIR: fresh },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const want = files(fresh);
  const have = files(committed);
  const problems = [];
  for (const f of want) {
    if (!have.includes(f)) problems.push(`missing from dist/: ${f}`);
    else if (!readFileSync(path.join(fresh, f)).equals(readFileSync(path.join(committed, f)))) {
      problems.push(`differs: dist/${f}`);
    }
  }
  for (const f of have) if (!want.includes(f)) problems.push(`not produced by the build: dist/${f}`);
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error('dist/ is out of date: run `npm run build` and commit dist/.');
    status = 1;
  } else {
    console.log(`dist/ is up to date (${want.length} files).`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
