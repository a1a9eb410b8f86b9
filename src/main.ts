// Action entry point. For now: read and resolve the inputs and report what would be built.
import * as core from '@actions/core';
import { getInputs } from './inputs.js';
import { loadSeries } from './qemu/series.js';
import { resolveQemuVersion } from './qemu/version.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  const qemu = resolveQemuVersion(inputs.qemuVersion, loadSeries());
  const platforms = inputs.arches.map((a) => a.platform);
  core.info(`QEMU ${qemu.version} (series ${qemu.series}) for ${inputs.arches.map((a) => a.id).join(', ')}`);
  core.setOutput('qemu-version', qemu.version);
  core.setOutput('platform', platforms.join(','));
}

run().catch((err: unknown) => {
  core.setFailed(err instanceof Error ? err.message : String(err));
});
