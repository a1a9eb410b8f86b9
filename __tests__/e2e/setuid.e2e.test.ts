// Set-user-ID and set-group-ID programs of the guest, run from a non-root USER during an aarch64
// build, as on arm64 hardware: Debian's sudo (setuid root) gets euid 0 and runs commands as
// root for the user "dev" (before: "sudo: effective uid is not 0, ..."), and Debian's chage
// (setgid shadow) reads /etc/shadow, which only its egid lets it read. Copies of both without
// their set-ID bits fail as they do on hardware, so the bits, not the emulator, decide. The image
// keeps its USER, and its set-ID files are exactly those its packages ship: no emulator file, set-ID
// or not, anywhere in it; with keep-emulator, the emulator that stays is not set-ID either.
//
// The base has busybox and libc6 only (tests/images/make-base.sh). Debian's sudo, passwd (useradd,
// chage), login (login.defs) and the libraries and PAM modules they load are downloaded for arm64
// and unpacked in a guest RUN as root by the guest's own dpkg-deb (busybox's), set-ID bits as
// shipped; there is no dpkg to run their maintainer scripts, so the RUN sets up by hand what those
// would: the shadow group and files, and the PAM stacks pam-auth-update writes.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assertNoBinfmt } from '../support/binfmt.js';
import {
  debContents,
  debianPackages,
  isSetId,
  parseTarListing,
  type ListedFile,
} from '../support/debian-packages.js';
import { BASE_ARM64, docker, imageFile, imageFiles, removeImages } from '../support/docker.js';
import { expectNoEmulator, expectPostCleaned, prepareBuild } from '../support/image-test.js';
import { LOCAL_QEMU } from '../support/qemu-sources.js';
import { runAction, type ActionRun } from '../support/runner.js';
import { cleanupEnv, gitStatus, type RunEnv } from '../support/workspace.js';

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const TAG = `anyarch-e2e/setuid:${RUN_ID}`;
const KEEP_TAG = `anyarch-e2e/setuid-keep:${RUN_ID}`;

/** sudo, useradd and chage, and everything they load, of arm64 (the "all" packages unqualified). */
const PACKAGES = [
  'sudo:arm64',
  'passwd:arm64',
  'login:arm64',
  'libpam0g:arm64',
  'libpam-modules:arm64',
  'libpam-modules-bin:arm64',
  'libpam-runtime',
  'libaudit1:arm64',
  'libaudit-common',
  'libcap-ng0:arm64',
  'libselinux1:arm64',
  'libpcre2-8-0:arm64',
  'libsemanage2:arm64',
  'libsemanage-common',
  'libsepol2:arm64',
  'libbz2-1.0:arm64',
  'libcrypt1:arm64',
  'libdb5.3:arm64',
  'zlib1g:arm64',
];

// The stacks libpam-runtime's pam-auth-update writes with Debian's default (unix) profile (PAM
// reads them all: /etc/pam.d/other includes each).
const SESSION = `session\t[default=1]\t\t\tpam_permit.so
session\trequisite\t\t\tpam_deny.so
session\trequired\t\t\tpam_permit.so
session\trequired\tpam_unix.so
`;
const PAM = {
  'rootfs/etc/pam.d/common-auth': `auth\t[success=1 default=ignore]\tpam_unix.so nullok
auth\trequisite\t\t\tpam_deny.so
auth\trequired\t\t\tpam_permit.so
`,
  'rootfs/etc/pam.d/common-account': `account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so
account\trequisite\t\t\tpam_deny.so
account\trequired\t\t\tpam_permit.so
`,
  'rootfs/etc/pam.d/common-password': `password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt
password\trequisite\t\t\tpam_deny.so
password\trequired\t\t\tpam_permit.so
`,
  'rootfs/etc/pam.d/common-session': SESSION,
  'rootfs/etc/pam.d/common-session-noninteractive': SESSION,
};

const DOCKERFILE = `FROM ${BASE_ARM64}
COPY debs/ /tmp/debs/
COPY rootfs/ /
# As root: the packages unpacked by the guest, and what their maintainer scripts would set up.
RUN echo 'shadow:x:42:' >> /etc/group \\
 && for deb in /tmp/debs/*.deb; do dpkg-deb -x "$deb" / || exit 1; done \\
 && rm -r /tmp/debs \\
 && echo 'root:*:20000:0:99999:7:::' > /etc/shadow \\
 && printf 'root:*::\\nshadow:*::\\n' > /etc/gshadow \\
 && chown root:shadow /etc/shadow /etc/gshadow && chmod 640 /etc/shadow /etc/gshadow \\
 && mkdir -p /home \\
 && cp /usr/bin/sudo /tmp/sudo-plain && cp /usr/bin/chage /tmp/chage-plain \\
 && chmod 755 /tmp/sudo-plain /tmp/chage-plain
RUN useradd -m dev && echo 'dev ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/dev
USER dev
RUN id -u > /home/dev/uid && sudo -n sh -c 'id -u > /root-made; touch /etc/made-by-sudo' && sudo -n id -u > /home/dev/sudo-uid
# setgid shadow: /etc/shadow is root:shadow 0640.
RUN chage -l dev > /home/dev/chage
# The same programs, root's copies without the set-ID bits: they must fail as on hardware.
RUN { /tmp/sudo-plain -n id -u; echo "exit $?"; } > /home/dev/plain-sudo 2>&1; \\
    { /tmp/chage-plain -l dev; echo "exit $?"; } > /home/dev/plain-chage 2>&1; \\
    sudo -n rm /tmp/sudo-plain /tmp/chage-plain
`;

/** The image's files with their modes, as a container of it sees them (`docker export`). */
function exportedFiles(ref: string): ListedFile[] {
  const id = docker('create', ref, '/bin/true').trim();
  try {
    const listing = execFileSync('sh', ['-c', 'docker export "$1" | tar --numeric-owner -tvf -', 'sh', id], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    return parseTarListing(listing);
  } finally {
    docker('rm', id);
  }
}

const setIdPaths = (files: readonly ListedFile[]) =>
  files
    .filter(isSetId)
    .map((f) => f.path)
    .sort();

function configUser(ref: string): string {
  return docker('image', 'inspect', '--format', '{{.Config.User}}', ref).trim();
}

describe('setuid and setgid guest programs from a non-root USER (aarch64)', () => {
  let env: RunEnv;
  let before: string;
  let result: ActionRun;
  let keep: ActionRun;
  let shipped: string[];

  beforeAll(() => {
    assertNoBinfmt('aarch64');
    const debs = debianPackages(PACKAGES);
    ({ env } = prepareBuild({ Dockerfile: DOCKERFILE, ...PAM }));
    // The .debs as files of the checkout, committed with the rest.
    mkdirSync(path.join(env.workspace, 'debs'));
    for (const d of debs) copyFileSync(d.file, path.join(env.workspace, 'debs', path.basename(d.file)));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: env.workspace, stdio: 'pipe' });
    git('add', '-A');
    git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'commit', '-q', '-m', 'debs');
    before = gitStatus(env.workspace);
    // The set-ID files the image may hold: the base's and the packages'.
    shipped = [
      ...new Set([
        ...setIdPaths(exportedFiles(BASE_ARM64)),
        ...debs.flatMap((d) => setIdPaths(debContents(d.file))),
      ]),
    ].sort();
    result = runAction(env, { arch: 'aarch64', ...LOCAL_QEMU, tags: TAG, load: 'true' });
    keep = runAction(env, {
      arch: 'aarch64',
      ...LOCAL_QEMU,
      tags: KEEP_TAG,
      load: 'true',
      'keep-emulator': 'true',
    });
  });
  afterAll(() => {
    removeImages(TAG, KEEP_TAG);
    if (env) cleanupEnv(env);
  });

  test('the build succeeds, sudo and chage included', () => {
    if (result.main.status !== 0) throw new Error(result.main.log.slice(-6000));
    expect(result.post.status).toBe(0);
    expect(result.main.log).not.toMatch(/effective uid is not 0/);
  });

  test('the RUN ran as dev, and sudo ran its commands as root', () => {
    const uid = imageFile(TAG, '/home/dev/uid').trim();
    expect(uid).toBe(imageFile(TAG, '/etc/passwd').match(/^dev:[^:]*:(\d+):/m)?.[1]);
    expect(uid).toBe('1000');
    expect(imageFile(TAG, '/home/dev/sudo-uid').trim()).toBe('0');
    expect(imageFile(TAG, '/root-made').trim()).toBe('0');
    const made = exportedFiles(TAG).find((f) => f.path === 'etc/made-by-sudo');
    expect(made?.mode).toMatch(/^-/);
  });

  test('chage, setgid shadow, read /etc/shadow as dev', () => {
    expect(imageFile(TAG, '/home/dev/chage')).toMatch(/^Password expires\s*:/m);
    const shadow = exportedFiles(TAG).find((f) => f.path === 'etc/shadow');
    expect(shadow?.mode).toBe('-rw-r-----');
  });

  test('copies without the set-ID bits fail as on hardware', () => {
    const sudo = imageFile(TAG, '/home/dev/plain-sudo');
    // Its euid is dev's, and sudo says why, as on hardware.
    expect(sudo).toContain('sudo: /tmp/sudo-plain must be owned by uid 0 and have the setuid bit set');
    expect(sudo).toMatch(/^exit [1-9]\d*$/m);
    const chage = imageFile(TAG, '/home/dev/plain-chage');
    expect(chage).toMatch(/cannot open \/etc\/shadow/);
    expect(chage).toMatch(/^exit [1-9]\d*$/m);
  });

  test('the image is arm64 and keeps USER dev', () => {
    expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', TAG).trim()).toBe(
      'linux/arm64',
    );
    expect(configUser(TAG)).toBe('dev');
  });

  test('its set-ID files are those its packages ship, and no emulator is anywhere in it', () => {
    const files = exportedFiles(TAG);
    expect(shipped).toEqual(expect.arrayContaining(['usr/bin/sudo', 'usr/bin/chage']));
    expect(setIdPaths(files)).toEqual(shipped);
    expect(files.filter((f) => /qemu|anyarch/.test(f.path))).toEqual([]);
    expectNoEmulator(imageFiles(TAG));
    const config = docker('image', 'inspect', '--format', '{{json .Config}}', TAG);
    expect(config).not.toMatch(/anyarch|qemu/);
  });

  test('the workspace is untouched and post removed the temporary files and images', () => {
    expectPostCleaned(env, before, result.main);
  });

  test('with keep-emulator the emulator stays, not set-ID, and USER dev runs through it', () => {
    if (keep.main.status !== 0) throw new Error(keep.main.log.slice(-6000));
    expect(keep.post.status).toBe(0);
    expect(configUser(KEEP_TAG)).toBe('dev');
    const files = exportedFiles(KEEP_TAG);
    const emulator = files.filter((f) => /qemu|anyarch/.test(f.path) && f.mode.startsWith('-'));
    expect(emulator.map((f) => f.path)).toContain('.anyarch/qemu-aarch64');
    expect(emulator.filter(isSetId)).toEqual([]);
    expect(setIdPaths(files)).toEqual(shipped);
    expect(imageFile(KEEP_TAG, '/home/dev/sudo-uid').trim()).toBe('0');
    expect(docker('run', '--rm', KEEP_TAG, 'id', '-u').trim()).toBe('1000');
    expectPostCleaned(env, before, keep.main);
  });

  test('no binfmt_misc handler appeared', () => {
    assertNoBinfmt('aarch64');
  });
});
