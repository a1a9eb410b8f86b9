// A TypeScript program of the tests, made runnable by node on its own: used where several
// processes must run the action's code at once (programs/tool-cache-save.ts).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from './project.js';

/**
 * Transpile `entry` and the project modules it imports, recursively, to JavaScript under `out`
 * (same paths relative to the project root), runnable by node with the project's node_modules.
 * Returns the entry's JavaScript file.
 */
export function transpileForNode(entry: string, out: string): string {
  const target = (file: string) => path.join(out, path.relative(PROJECT_ROOT, file)).replace(/\.ts$/, '.js');
  const todo = [entry];
  const done = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    mkdirSync(path.dirname(target(file)), { recursive: true });
    writeFileSync(target(file), js);
    for (const m of js.matchAll(/from ['"](\.\.?\/[^'"]+)\.js['"]/g))
      todo.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
  }
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(out, 'node_modules'));
  return target(entry);
}
