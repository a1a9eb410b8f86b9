// Local entry point for trying the Dockerfile rewrite outside Actions:
//   node dist/cli/index.js rewrite --platform linux/arm64 --image IMG --emulator PATH [FILE]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rewriteDockerfile } from './docker/dockerfile.js';

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      platform: { type: 'string' },
      image: { type: 'string' },
      emulator: { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
    },
  });
  const [command, file] = positionals;
  if (command !== 'rewrite' || !values.platform || !values.image || !values.emulator) {
    process.stderr.write('usage: cli rewrite --platform P --image IMG --emulator PATH [--build-arg K=V]... [FILE|-]\n');
    return 2;
  }
  const buildArgs = new Map<string, string>();
  for (const kv of values['build-arg'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) buildArgs.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const text = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
  const result = rewriteDockerfile(text, {
    guestPlatform: values.platform,
    emulatorImage: values.image,
    emulatorPath: values.emulator,
    buildArgs,
  });
  process.stdout.write(result.dockerfile);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
