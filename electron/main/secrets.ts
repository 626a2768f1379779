import { safeStorage } from 'electron';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../engine/output/atomic-file';

/**
 * Passwords kept only through safeStorage (OS keychain / DPAPI / libsecret): the file holds
 * ciphertext. When no secure backend exists (e.g. Linux without a keyring, where Electron falls
 * back to a hard-coded key) nothing is stored.
 */
export class SecretStore {
  constructor(private readonly dataDir: string) {}

  get available(): boolean {
    if (!safeStorage.isEncryptionAvailable()) return false;
    const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
    return backend !== 'basic_text' && backend !== 'unknown';
  }

  async #read(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(join(this.dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  async #write(all: Record<string, string>): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const file = join(this.dataDir, 'secrets.json');
    // A unique temp name per save: two saves at once no longer collide on one `.tmp`.
    await writeFileAtomic(file, JSON.stringify(all), { mode: 0o600 });
  }

  async save(key: string, value: string): Promise<void> {
    if (!this.available) throw new Error('No secure storage is available on this system; the password was not saved');
    const all = await this.#read();
    all[key] = safeStorage.encryptString(value).toString('base64');
    await this.#write(all);
  }

  /** Removes a stored secret (no-op when there is none). */
  async forget(key: string): Promise<void> {
    const all = await this.#read();
    if (!Object.hasOwn(all, key)) return;
    delete all[key];
    await this.#write(all);
  }

  async load(key: string): Promise<string | null> {
    const v = (await this.#read())[key];
    if (!v || !this.available) return null;
    try {
      return safeStorage.decryptString(Buffer.from(v, 'base64'));
    } catch {
      return null;
    }
  }
}
