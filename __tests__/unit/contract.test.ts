// The action's contract lives in action.yml; the other places that spell it out must agree with
// it: the input parser, the CLI's flags, and the README's input and output tables.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { CLI_DEFAULTS, INPUT_NAMES } from '../../src/cli-inputs.js';
import { parseInputs } from '../../src/inputs.js';

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

  it('the parser reads every input action.yml declares, and nothing else', () => {
    const asked = new Set<string>();
    parseInputs(
      (name) => {
        asked.add(name);
        return name === 'arch' ? 'aarch64' : (action.inputs[name]?.default ?? '');
      },
      { workspace: '/ws' },
    );
    expect([...asked].sort()).toEqual([...inputNames].sort());
  });

  it("the CLI's flags are action.yml's inputs, in its order", () => {
    expect([...INPUT_NAMES]).toEqual(inputNames);
  });

  it("the README's input table lists action.yml's inputs, in its order", () => {
    expect(readmeColumn('## Inputs')).toEqual(inputNames);
  });

  it("the README's output table lists action.yml's outputs, in its order", () => {
    expect(readmeColumn('## Outputs')).toEqual(outputNames);
  });

  it("the CLI's defaults are action.yml's", () => {
    const fromYaml = Object.fromEntries(inputNames.map((n) => [n, action.inputs[n]?.default ?? '']).filter(([, v]) => v !== ''));
    expect(CLI_DEFAULTS).toEqual(fromYaml);
  });

  it('only arch is required', () => {
    expect(inputNames.filter((n) => action.inputs[n]?.required === true)).toEqual(['arch']);
  });
});
