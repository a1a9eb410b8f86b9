#!/usr/bin/env node
// `npm run lint`: every TypeScript and JavaScript file of the project through ESLint
// (eslint.config.js) and Prettier's check (.prettierrc.json), one result per file, so that the
// test runner counts it: `N passed, N failed`. `--list` prints the files it would check.
// `--fix` lets both tools rewrite what they can first.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');
const eslint = new ESLint({ cwd: root, fix });

/** Tracked and new (not ignored) source files that neither tool ignores. */
async function sourceFiles() {
  const listed = execFileSync(
    'git',
    ['ls-files', '-co', '--exclude-standard', '--', '*.ts', '*.mjs', '*.js'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const out = [];
  for (const rel of listed.split('\n').filter(Boolean)) {
    const file = path.join(root, rel);
    // Listed but deleted in the working tree.
    if (!existsSync(file)) continue;
    if (await eslint.isPathIgnored(file)) continue;
    const info = await prettier.getFileInfo(file, { ignorePath: path.join(root, '.prettierignore') });
    if (info.ignored) continue;
    out.push(file);
  }
  return out.sort();
}

const files = await sourceFiles();
if (process.argv.includes('--list')) {
  for (const f of files) process.stdout.write(`${path.relative(root, f)}\n`);
  process.exit(0);
}

const results = await eslint.lintFiles(files);
if (fix) await ESLint.outputFixes(results);
const problems = new Map(results.map((r) => [r.filePath, r.messages]));
let passed = 0;
let failed = 0;
for (const file of files) {
  const rel = path.relative(root, file);
  const why = (problems.get(file) ?? []).map(
    (m) => `${rel}:${m.line}:${m.column} ${m.message} (${m.ruleId ?? 'parse'})`,
  );
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  const text = readFileSync(file, 'utf8');
  if (!(await prettier.check(text, options))) {
    if (fix) writeFileSync(file, await prettier.format(text, options));
    else why.push(`${rel}: not formatted as Prettier would (npm run lint -- --fix)`);
  }
  if (why.length === 0) passed++;
  else {
    failed++;
    for (const w of why) process.stdout.write(`FAIL ${w}\n`);
  }
}
process.stdout.write(`lint: ${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
