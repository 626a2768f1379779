import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareOutputFolder } from '../../../electron/engine/output/prepare-folder';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-mkdirs-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** `p`, or 'hung' after `ms`: Node's recursive mkdir loops for ever under /proc (mkdir → ENOENT, parent → EEXIST, again). */
function orHung<T>(p: Promise<T>, ms = 15_000): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)))]).finally(() => clearTimeout(timer));
}

describe.skipIf(process.platform !== 'linux' || !existsSync('/proc/self'))('an output folder that cannot be created on a virtual file system', () => {
  it('prepareOutputFolder under /proc fails with a clear error instead of spinning for ever', async () => {
    const outcome = await orHung(prepareOutputFolder('/proc/fanout-no-such/corpus', 'gutenberg', ['raw', 'clean']).then(
      () => 'created',
      (err: unknown) => err as { code?: string; message?: string },
    ));
    expect(outcome).not.toBe('hung');
    expect(outcome).not.toBe('created');
    expect((outcome as { code: string }).code).toBe('WRITE_FAILED');
    expect((outcome as { message: string }).message).toContain('/proc/fanout-no-such');
  });
});

describe('prepareOutputFolder creates the missing levels', () => {
  it('several at once, under a folder that exists', async () => {
    const out = join(base, 'a', 'b', 'c');
    const lock = await prepareOutputFolder(out, 'gutenberg', ['raw']);
    expect(existsSync(join(out, 'raw'))).toBe(true);
    await lock.release();
  });
});
