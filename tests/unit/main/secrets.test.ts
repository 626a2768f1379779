import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

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

const { SecretStore } = await import('../../../electron/main/secrets');

describe('SecretStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-secrets-'));
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
});
