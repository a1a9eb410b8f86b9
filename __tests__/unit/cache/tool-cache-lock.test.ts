// The tool-cache entry lock on real directories: breaking a stale lock while other runs wait
// must never let two of them hold it at once.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { withEntryLock } from '../../../src/cache/tool-cache.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tool-cache entry lock', () => {
  let base: string;
  let dest: string;
  let lock: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'anyarch-lock-'));
    dest = path.join(base, 'x64');
    lock = `${dest}.lock`;
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  /** Age the lock and what it holds past staleness, as if its holder had hung for a minute. */
  function age(): void {
    const minuteAgo = new Date(Date.now() - 60_000);
    for (const name of readdirSync(lock)) utimesSync(path.join(lock, name), minuteAgo, minuteAgo);
    utimesSync(lock, minuteAgo, minuteAgo);
  }

  /** Leave a stale lock: an empty directory (an older version's), or a holding that never ends. */
  async function staleLock(kind: 'empty' | 'held'): Promise<void> {
    if (kind === 'empty') mkdirSync(lock);
    else {
      const holding = deferred();
      void withEntryLock(dest, () => {
        holding.resolve();
        return new Promise<void>(() => undefined); // a killed run: never lets go
      });
      await holding.promise;
    }
    age();
  }

  /** A critical section that records who was inside, and how many at most at once. */
  function recorder() {
    const log: string[] = [];
    let inside = 0;
    let most = 0;
    const hold = (who: string, ms: number) => async () => {
      most = Math.max(most, ++inside);
      log.push(`${who} in`);
      await sleep(ms);
      log.push(`${who} out`);
      inside--;
    };
    return { log, hold, most: () => most };
  }

  it.each(['empty', 'held'] as const)(
    'lets one waiter in when another broke the stale (%s) lock it saw and took a new one',
    async (kind) => {
      await staleLock(kind);
      const r = recorder();
      const aInside = deferred();
      const bSawStale = deferred();
      // B finds the lock stale, then pauses until A has broken it and holds a lock of its own.
      const b = withEntryLock(dest, r.hold('B', 50), {
        beforeBreak: async () => {
          bSawStale.resolve();
          await aInside.promise;
        },
      });
      await bSawStale.promise;
      const hold = r.hold('A', 300);
      const a = withEntryLock(dest, async () => {
        aInside.resolve();
        await hold();
      });
      await Promise.all([a, b]);
      expect(r.most()).toBe(1);
      expect(r.log).toEqual(['A in', 'A out', 'B in', 'B out']);
      expect(existsSync(lock)).toBe(false);
      expect(readdirSync(base)).toEqual([]);
    },
  );

  it('lets one in when two waiters break the same stale lock at once', async () => {
    await staleLock('held');
    const r = recorder();
    const bothSawIt = [deferred(), deferred()];
    const together = Promise.all(bothSawIt.map((d) => d.promise));
    const waiter = (i: 0 | 1) =>
      withEntryLock(dest, r.hold(`W${i}`, 100), {
        beforeBreak: async () => {
          bothSawIt[i]!.resolve();
          await together;
        },
      });
    await Promise.all([waiter(0), waiter(1)]);
    expect(r.most()).toBe(1);
    expect(readdirSync(base)).toEqual([]);
  });

  it('a run whose lock was broken as stale leaves the next holder its lock', async () => {
    const r = recorder();
    const aInside = deferred();
    const aMayLeave = deferred();
    const a = withEntryLock(dest, async () => {
      aInside.resolve();
      await aMayLeave.promise; // hangs past staleness
    });
    await aInside.promise;
    age();
    const bInside = deferred();
    const holdB = r.hold('B', 300);
    const b = withEntryLock(dest, async () => {
      bInside.resolve();
      await holdB();
    });
    await bInside.promise;
    aMayLeave.resolve();
    await a;
    // A's release must not have removed B's lock: C waits for B.
    expect(existsSync(lock)).toBe(true);
    await withEntryLock(dest, r.hold('C', 10));
    await b;
    expect(r.log).toEqual(['B in', 'B out', 'C in', 'C out']);
    expect(r.most()).toBe(1);
  });
});
