#!/usr/bin/env node
// Writes src/action-contract.ts from action.yml: the inputs (name, default, required) and the
// outputs, in action.yml's order. action.yml is the one source; the parser, the CLI and the
// tests read these constants. `--check` fails when the committed file is stale (a unit test runs
// it), so an edit to action.yml without `npm run gen` cannot land.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

/** A single-quoted TypeScript string literal, as the rest of src/ writes them. */
const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'src', 'action-contract.ts');

/** The TypeScript module for the text of an action.yml. */
export function renderContract(actionYml) {
  const meta = yaml.load(actionYml);
  const inputs = Object.entries(meta.inputs ?? {}).map(([name, spec]) => {
    const def = spec.default === undefined ? '' : String(spec.default);
    return `  { name: ${q(name)}, default: ${q(def)}, required: ${spec.required === true} },`;
  });
  const outputs = Object.keys(meta.outputs ?? {}).map((name) => `  ${q(name)},`);
  return [
    '// Generated from action.yml by scripts/gen-action-contract.mjs (`npm run gen`); do not edit.',
    '',
    "/** The action's inputs, in action.yml's order, with their defaults. */",
    'export const INPUTS = [',
    ...inputs,
    '] as const;',
    '',
    "export type InputName = (typeof INPUTS)[number]['name'];",
    '',
    "/** The action's outputs, in action.yml's order. */",
    'export const OUTPUTS = [',
    ...outputs,
    '] as const;',
    '',
    'export type OutputName = (typeof OUTPUTS)[number];',
    '',
  ].join('\n');
}

const fresh = renderContract(readFileSync(path.join(root, 'action.yml'), 'utf8'));
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== fresh) {
    process.stderr.write(
      'src/action-contract.ts does not match action.yml: run `npm run gen` and commit it\n',
    );
    process.exit(1);
  }
} else {
  writeFileSync(target, fresh);
}
