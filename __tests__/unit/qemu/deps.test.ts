import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  aptAccess,
  bundlesMeson,
  findMissingForSource,
  isDebianLike,
  missingDeviceTreeBlobs,
  missingMessage,
  parseMesonVersion,
} from '../../../src/qemu/deps.js';

describe('build dependencies', () => {
  it('parses meson --version', () => {
    expect(parseMesonVersion('1.7.0\n')).toBe('1.7.0');
    expect(parseMesonVersion('')).toBeUndefined();
  });
  it('recognises Debian and Ubuntu', () => {
    expect(isDebianLike('ID=debian\nVERSION_ID="12"\n')).toBe(true);
    expect(isDebianLike('ID=ubuntu\nID_LIKE=debian\n')).toBe(true);
    expect(isDebianLike('ID=linuxmint\nID_LIKE="ubuntu debian"\n')).toBe(true);
    expect(isDebianLike('ID=fedora\n')).toBe(false);
  });
  it('names what is missing and the packages', () => {
    const m = missingMessage([
      { what: 'ninja', pkg: 'ninja-build' },
      { what: 'static glib-2.0 (pkg-config glib-2.0)', pkg: 'libglib2.0-dev' },
    ]);
    expect(m).toContain('ninja, static glib-2.0');
    expect(m).toContain('apt-get install ninja-build libglib2.0-dev');
  });
});

describe('who may run apt-get', () => {
  it('root runs it directly', () => {
    expect(aptAccess({ debianLike: true, root: true, passwordlessSudo: false })).toEqual({ prefix: [] });
  });
  it('a user with passwordless sudo (a GitHub-hosted runner) runs it through sudo -n', () => {
    expect(aptAccess({ debianLike: true, root: false, passwordlessSudo: true })).toEqual({
      prefix: ['sudo', '-n'],
    });
  });
  it('a user without it gets the reason and what to do', () => {
    const a = aptAccess({ debianLike: true, root: false, passwordlessSudo: false });
    expect('why' in a && a.why).toMatch(
      /not root, and sudo is missing or asks for a password.*install them first as root/,
    );
  });
  it('nothing is installed off Debian and Ubuntu, even as root', () => {
    const a = aptAccess({ debianLike: false, root: true, passwordlessSudo: true });
    expect('why' in a && a.why).toMatch(/not Debian or Ubuntu/);
  });
});

describe('a source that bundles meson', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-unit-src-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const tree = (name: string, wheels: string[] | undefined) => {
    const dir = path.join(base, name);
    mkdirSync(dir);
    if (wheels) {
      mkdirSync(path.join(dir, 'python', 'wheels'), { recursive: true });
      for (const w of wheels) writeFileSync(path.join(dir, 'python', 'wheels', w), '');
    }
    return dir;
  };
  it('is one whose python/wheels holds a meson wheel', () => {
    expect(
      bundlesMeson(tree('upstream', ['meson-1.9.0-py3-none-any.whl', 'pycotap-1.3.1-py3-none-any.whl'])),
    ).toBe(true);
    expect(bundlesMeson(tree('debian', []))).toBe(false);
    expect(bundlesMeson(tree('no-python', undefined))).toBe(false);
    expect(bundlesMeson(tree('other-wheel', ['mesonpy-0.1-py3-none-any.whl']))).toBe(false);
  });
  it('needs no system meson or pycotap for QEMU 10.x', async () => {
    const dir = tree('upstream-10', ['meson-1.9.0-py3-none-any.whl']);
    const saved = process.env['PATH'];
    process.env['PATH'] = base; // no meson, no python3 anywhere: nothing may be asked of them
    try {
      expect(await findMissingForSource('10.2.2', dir)).toEqual([]);
    } finally {
      process.env['PATH'] = saved;
    }
  });
  it('asks for meson >= 1.5 from the system when the source has none (10.x)', async () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = base;
    try {
      const missing = await findMissingForSource('10.2.2', tree('debian-10', []));
      expect(missing.map((m) => m.pkg)).toContain('meson');
      expect(missing.find((m) => m.pkg === 'meson')?.what).toBe(
        'meson >= 1.5.0 for QEMU 10.2.2 (found none)',
      );
    } finally {
      process.env['PATH'] = saved;
    }
  });
});

describe('device-tree blobs', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-unit-dtb-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const tree = (name: string, files: string[]) => {
    const dir = path.join(base, name);
    mkdirSync(path.join(dir, 'pc-bios', 'dtb'), { recursive: true });
    for (const f of files) writeFileSync(path.join(dir, 'pc-bios', 'dtb', f), '');
    return dir;
  };
  it('a release tarball has a blob for every .dts: nothing to build', () => {
    expect(missingDeviceTreeBlobs(tree('release', ['meson.build', 'bamboo.dts', 'bamboo.dtb']))).toEqual([]);
  });
  it("Debian's source has the .dts only: dtc must build them", () => {
    expect(missingDeviceTreeBlobs(tree('debian', ['meson.build', 'bamboo.dts', 'pegasos2.dts']))).toEqual([
      'bamboo.dts',
      'pegasos2.dts',
    ]);
  });
  it('a source whose build has no dtb directory needs none', () => {
    expect(missingDeviceTreeBlobs(base)).toEqual([]);
  });
});
