/**
 * A settings.json that could not be read whole is said to the page (app:info's dataNotices, shown
 * in the banner at load): before, SettingsStore.damage had no reader and the user was never told.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../shared/ipc';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-settings-notice-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const host = () => new FanoutHost({ host: 'web', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir, runners: { gutenberg: async () => { throw new Error('no'); } }, readCatalog: async function* () {} });
const info = async (h: FanoutHost) => ((await h.handle('app:info', {})) as { ok: true; value: AppInfo }).value;

describe('app:info and the data folder', () => {
  it('names a damaged settings.json, and nothing when it is whole', async () => {
    await mkdir(join(dir, 'data'));
    const h = host();
    expect((await info(h)).dataNotices).toBeUndefined();
    await h.shutdown();
    await writeFile(join(dir, 'data', 'settings.json'), '{"workers": 3,');
    const damaged = host();
    expect((await info(damaged)).dataNotices).toEqual([
      { code: 'DATA_DAMAGED', message: expect.stringMatching(/settings\.json\) cannot be read whole: .*kept as it is/), retryable: false, context: { file: join(dir, 'data', 'settings.json') } },
    ]);
    await damaged.shutdown();
  });
});
