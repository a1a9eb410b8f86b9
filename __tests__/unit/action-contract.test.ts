// The action's contract lives in action.yml. src/action-contract.ts is generated from it; the
// parser, the CLI and the outputs read that module, and the README's tables must agree.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { INPUTS, OUTPUTS, type InputName } from '../../src/action-contract.js';
import { USAGE } from '../../src/cli.js';
import { LIST_INPUTS, parseInputs } from '../../src/inputs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface ActionMeta {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
}
const action = yaml.load(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionMeta;
const inputNames = Object.keys(action.inputs);
const outputNames = Object.keys(action.outputs);

/** The first column of a README table under `heading`, without its backquotes. */
function readmeColumn(heading: string): string[] {
  const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf(`\n${heading}\n`) + 1).split('\n## ')[0]!;
  return section
    .split('\n')
    .map((l) => /^\| `([a-z0-9-]+)` \|/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

describe('one contract: action.yml', () => {
  it('is valid YAML with inputs and outputs', () => {
    expect(inputNames.length).toBeGreaterThan(10);
    expect(outputNames).toContain('imageid');
  });

  it('src/action-contract.ts is what the generator makes of action.yml today', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'scripts', 'gen-action-contract.mjs'), '--check'],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("the generated module holds action.yml's inputs, defaults and outputs, in its order", () => {
    expect(INPUTS.map((i) => i.name)).toEqual(inputNames);
    expect(INPUTS.map((i) => i.default)).toEqual(inputNames.map((n) => action.inputs[n]?.default ?? ''));
    expect([...OUTPUTS]).toEqual(outputNames);
  });

  it('the parser reads every input action.yml declares, and nothing else', () => {
    const asked = new Set<string>();
    parseInputs(
      (name) => {
        asked.add(name);
        return name === 'arch' ? 'aarch64' : '';
      },
      { workspace: '/ws' },
    );
    expect([...asked].sort()).toEqual([...inputNames].sort());
  });

  it("an input left empty gets action.yml's default", () => {
    const parsed = parseInputs((name) => (name === 'arch' ? 'aarch64' : ''), { workspace: '/ws' });
    const defaults = Object.fromEntries(INPUTS.map((i) => [i.name, i.default])) as Record<InputName, string>;
    expect(parsed.qemuVersion).toBe(defaults['qemu-version']);
    expect(parsed.runShell).toBe(defaults['run-shell']);
    expect(parsed.context).toBe(path.resolve('/ws', defaults.context));
    expect(parsed.cache).toBe(defaults.cache === 'true');
    expect(parsed.build).toBe(defaults.build === 'true');
    expect(parsed.push).toBe(defaults.push === 'true');
    expect(parsed.installDeps).toBe(defaults['install-deps']);
  });

  it('list inputs are inputs, and the CLI says they repeat', () => {
    for (const n of LIST_INPUTS) expect(inputNames).toContain(n);
    for (const n of inputNames) expect(USAGE).toContain(`--${n}`);
    for (const n of LIST_INPUTS) expect(USAGE).toMatch(new RegExp(`--${n}[, ].*may be repeated`));
  });

  it("the README's input table lists action.yml's inputs, in its order", () => {
    expect(readmeColumn('## Inputs')).toEqual(inputNames);
  });

  it("the README's output table lists action.yml's outputs, in its order", () => {
    expect(readmeColumn('## Outputs')).toEqual(outputNames);
  });

  it('no input is required by the runner: "arch" or its alias "platforms" is, which the parser checks', () => {
    expect(inputNames.filter((n) => action.inputs[n]?.required === true)).toEqual([]);
  });
});
