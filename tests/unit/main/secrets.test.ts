import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FanoutError } from '../../../electron/engine/core/fanout-error';

/**
 * SecretStore's file handling. Electron's safeStorage (the OS keychain) is not available outside
 * Electron: a stand-in that "encrypts" by reversing the text stands for it; the file is real.
 */
vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (s: string) => Buffer.from([...s].reverse().join(''), 'utf8'),
    decryptString: (b: Buffer) => [...b.toString('utf8')].reverse().join(''),
  },
}));

/**
 * The data folder's durable set-aside (data-dir.ts setAsideDamaged: rename, then the folder's
 * fsync) is watched through the fsync: what the folder held when it was synced.
 */
const synced: { dir: string; names: string[] }[] = [];
vi.mock('../../../electron/engine/output/atomic-file', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../electron/engine/output/atomic-file')>();
  return {
    ...real,
    syncDir: async (dir: string) => {
      synced.push({ dir, names: (await readdir(dir)).sort() });
      await real.syncDir(dir);
    },
  };
});

const { SecretStore } = await import('../../../electron/main/secrets');

describe('SecretStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-secrets-'));
    synced.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('two saves at once keep both passwords', async () => {
    const store = new SecretStore(dir);
    await Promise.all([store.save('mail:a@h', 'pa'), store.save('mail:b@h', 'pb'), store.save('mail:c@h', 'pc')]);
    expect(await store.load('mail:a@h')).toBe('pa');
    expect(await store.load('mail:b@h')).toBe('pb');
    expect(await store.load('mail:c@h')).toBe('pc');
  });

  it('a save and a forget at once: the forget does not bring back what it read before the save', async () => {
    const store = new SecretStore(dir);
    await store.save('mail:a@h', 'pa');
    await Promise.all([store.save('mail:b@h', 'pb'), store.forget('mail:a@h')]);
    expect(await store.load('mail:a@h')).toBeNull();
    expect(await store.load('mail:b@h')).toBe('pb');
  });

  it('a damaged file is kept beside, not overwritten by the next save', async () => {
    const damaged = '{"mail:a@h": "YXA=", "mail:b@';
    await writeFile(join(dir, 'secrets.json'), damaged);
    const store = new SecretStore(dir);
    expect(await store.load('mail:a@h')).toBeNull();
    await store.save('mail:c@h', 'pc');
    expect(await store.load('mail:c@h')).toBe('pc');
    const kept = (await readdir(dir)).filter((n) => n.startsWith('secrets.json.damaged-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(damaged);
    // A second damaged file is kept beside the first, not over it.
    await writeFile(join(dir, 'secrets.json'), 'not json');
    await new Promise((r) => setTimeout(r, 5));
    await store.save('mail:d@h', 'pd');
    const keptNow = (await readdir(dir)).filter((n) => n.startsWith('secrets.json.damaged-'));
    expect(keptNow).toHaveLength(2);
  });

  it('a damaged file is set aside durably (the data folder\'s one set-aside: rename, then the folder synced)', async () => {
    await writeFile(join(dir, 'secrets.json'), '{"mail:a@h": ');
    const store = new SecretStore(dir);
    await store.save('mail:c@h', 'pc');
    const kept = (await readdir(dir)).filter((n) => n.startsWith('secrets.json.damaged-'));
    expect(kept).toHaveLength(1);
    // The folder was synced once the copy had its name, before the new file was written.
    expect(synced.find((s) => s.dir === dir && s.names.includes(kept[0]!) && !s.names.includes('secrets.json'))).toBeDefined();
  });

  it('a file in its place that cannot be read as a file (a folder) is set aside too, not written into', async () => {
    await mkdir(join(dir, 'secrets.json'));
    await writeFile(join(dir, 'secrets.json', 'x'), 'mine');
    const store = new SecretStore(dir);
    expect(await store.load('mail:a@h')).toBeNull();
    await store.save('mail:a@h', 'pa');
    expect(await store.load('mail:a@h')).toBe('pa');
    const kept = (await readdir(dir)).filter((n) => n.startsWith('secrets.json.damaged-'));
    expect(await readFile(join(dir, kept[0]!, 'x'), 'utf8')).toBe('mine');
  });

  it('says why the saved passwords cannot be read (DATA_DAMAGED), then where the file was set aside; nothing when whole', async () => {
    const store = new SecretStore(dir);
    expect(await store.damage()).toBeNull();
    await store.save('mail:a@h', 'pa');
    expect(await store.damage()).toBeNull();

    await writeFile(join(dir, 'secrets.json'), '{"mail:a@h": "YXA=", "mail:b@');
    const before = (await store.damage()) as FanoutError;
    expect(before.code).toBe('DATA_DAMAGED');
    expect(before.context.file).toBe(join(dir, 'secrets.json'));
    expect(before.message).toMatch(/saved passwords \(.*secrets\.json\) cannot be read: not JSON.*kept as it is.*next password saved sets it aside/s);
    // Only said: the file is as it was.
    expect(await readFile(join(dir, 'secrets.json'), 'utf8')).toBe('{"mail:a@h": "YXA=", "mail:b@');

    await store.save('mail:c@h', 'pc');
    const kept = (await readdir(dir)).filter((n) => n.startsWith('secrets.json.damaged-'));
    const after = (await store.damage()) as FanoutError;
    expect(after.code).toBe('DATA_DAMAGED');
    expect(after.message).toMatch(new RegExp(`saved passwords .*could not be read.*set aside as .*${kept[0]!.replace(/\./g, '\\.')}.*enter`, 's'));

    // Values that are not sealed passwords: damaged too.
    await writeFile(join(dir, 'secrets.json'), '{"mail:a@h": 5}');
    expect(((await new SecretStore(dir).damage()) as FanoutError).message).toMatch(/cannot be read: not a list of saved passwords/);
  });

  it('a save that cannot be written is a typed error naming the file (WRITE_FAILED), not the bare fs error', async () => {
    await writeFile(join(dir, 'not-a-folder'), 'x');
    const store = new SecretStore(join(dir, 'not-a-folder', 'data'));
    // Before: the bare ENOTDIR (INTERNAL once through the host).
    await expect(store.save('mail:a@h', 'pa')).rejects.toMatchObject({ code: 'WRITE_FAILED', message: expect.stringMatching(/^Saved passwords not written to .*secrets\.json: /), context: { file: join(dir, 'not-a-folder', 'data', 'secrets.json') } });
  });
});
