import { safeStorage } from 'electron';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../engine/output/atomic-file';

/**
 * Passwords kept only through safeStorage (OS keychain / DPAPI / libsecret): the file holds
 * ciphertext. When no secure backend exists (e.g. Linux without a keyring, where Electron falls
 * back to a hard-coded key) nothing is stored.
 */
export class SecretStore {
  /** Saves and forgets run one after another: each reads, changes and rewrites the whole file. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataDir: string) {}

  get available(): boolean {
    if (!safeStorage.isEncryptionAvailable()) return false;
    const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
    return backend !== 'basic_text' && backend !== 'unknown';
  }

  get #file(): string {
    return join(this.dataDir, 'secrets.json');
  }

  /**
   * The stored secrets: none when there is no file. A file that cannot be read as secrets (damaged)
   * is read as none too, and, when about to be rewritten (`forWrite`), first kept beside as
   * `secrets.json.damaged-<time>-<pid>`: the next save then does not silently drop the passwords it held.
   */
  async #read(forWrite = false): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      const all: unknown = JSON.parse(text);
      if (all && typeof all === 'object' && !Array.isArray(all) && Object.values(all).every((v) => typeof v === 'string')) {
        return all as Record<string, string>;
      }
    } catch {
      // Damaged: below.
    }
    // A name of its own per damaged file: a second one never overwrites the first one kept.
    if (forWrite) await rename(this.#file, `${this.#file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
    return {};
  }

  async #write(all: Record<string, string>): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    // A unique temp name per save: two saves at once no longer collide on one `.tmp`.
    await writeFileAtomic(this.#file, JSON.stringify(all), { mode: 0o600 });
  }

  /** Runs a read-change-write after the ones before it (two at once would each drop the other's change). */
  #update(change: (all: Record<string, string>) => boolean): Promise<void> {
    const run = this.#queue.then(async () => {
      const all = await this.#read(true);
      if (change(all)) await this.#write(all);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async save(key: string, value: string): Promise<void> {
    if (!this.available) throw new Error('No secure storage is available on this system; the password was not saved');
    const sealed = safeStorage.encryptString(value).toString('base64');
    await this.#update((all) => {
      all[key] = sealed;
      return true;
    });
  }

  /** Removes a stored secret (no-op when there is none). */
  async forget(key: string): Promise<void> {
    await this.#update((all) => {
      if (!Object.hasOwn(all, key)) return false;
      delete all[key];
      return true;
    });
  }

  async load(key: string): Promise<string | null> {
    const v = (await this.#read().catch(() => ({}) as Record<string, string>))[key];
    if (!v || !this.available) return null;
    try {
      return safeStorage.decryptString(Buffer.from(v, 'base64'));
    } catch {
      return null;
    }
  }
}
