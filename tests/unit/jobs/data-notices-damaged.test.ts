/**
 * Saved passwords the app cannot read are said to the page, as a damaged settings.json is
 * (app:info's dataNotices, DATA_DAMAGED naming the file, shown in the banner at load). Before,
 * a damaged secrets.json was read as no password at all and set aside at the next save, without
 * a word: the user only saw the password field empty. The real SecretStore, with Electron's
 * safeStorage stood in for (as in tests/unit/main/secrets.test.ts).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppInfo } from '../../../shared/ipc';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';

vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (s: string) => Buffer.from([...s].reverse().join(''), 'utf8'),
    decryptString: (b: Buffer) => [...b.toString('utf8')].reverse().join(''),
  },
}));
const { SecretStore } = await import('../../../electron/main/secrets');

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-data-notices-'));
  await mkdir(join(dir, 'data'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const host = (secrets: InstanceType<typeof SecretStore>) =>
  new FanoutHost({ host: 'electron', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir, runners: { gutenberg: async () => { throw new Error('no'); } }, readCatalog: async function* () {}, secrets });
const info = async (h: FanoutHost) => ((await h.handle('app:info', {})) as { ok: true; value: AppInfo }).value;

describe('app:info and the saved passwords', () => {
  it('names a damaged secrets.json, then where it was set aside; nothing when whole', async () => {
    const secrets = new SecretStore(join(dir, 'data'));
    const h = host(secrets);
    await secrets.save('mail:a@h', 'pa');
    expect((await info(h)).dataNotices).toBeUndefined();

    const file = join(dir, 'data', 'secrets.json');
    await writeFile(file, '{"mail:a@h": "YXA=", "mail:b@');
    expect((await info(h)).dataNotices).toEqual([
      { code: 'DATA_DAMAGED', message: expect.stringMatching(/saved passwords .*secrets\.json\) cannot be read: .*kept as it is/s), retryable: false, context: { file } },
    ]);

    await h.handle('secrets:save-mail-password', { host: 'h', user: 'c', password: 'pc' });
    const kept = (await readdir(join(dir, 'data'))).filter((n) => n.startsWith('secrets.json.damaged-'));
    expect(kept).toHaveLength(1);
    expect((await info(h)).dataNotices).toEqual([{ code: 'DATA_DAMAGED', message: expect.stringContaining(`set aside as ${join(dir, 'data', kept[0]!)}`), retryable: false, context: { file } }]);
    await h.shutdown();
  });

  it('settings.json and secrets.json both damaged: both said', async () => {
    await writeFile(join(dir, 'data', 'settings.json'), '{"workers": 3,');
    await writeFile(join(dir, 'data', 'secrets.json'), '[]');
    const h = host(new SecretStore(join(dir, 'data')));
    expect((await info(h)).dataNotices?.map((n) => [n.code, n.context.file])).toEqual([
      ['DATA_DAMAGED', join(dir, 'data', 'settings.json')],
      ['DATA_DAMAGED', join(dir, 'data', 'secrets.json')],
    ]);
    await h.shutdown();
  });
});
