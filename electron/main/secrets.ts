import { safeStorage } from 'electron';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FanoutError } from '../engine/core/fanout-error';
import { readDataJson, setAsideDamaged } from '../engine/jobs/data-dir';
import { writeFileAtomic } from '../engine/output/atomic-file';
import { storageFault } from '../engine/output/storage-fault';

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

  /** Where a damaged secrets.json was set aside by this process, and why: for `damage()`. */
  #setAside: { keptAs: string; why: string } | null = null;

  /**
   * The stored secrets, or why the file cannot be read as such (not JSON, cut short, not an object
   * of sealed passwords, a read error such as a folder in its place). Nothing is changed.
   */
  async #readAll(): Promise<{ all: Record<string, string>; damage: string | null; denied?: FanoutError }> {
    const read = await readDataJson(this.#file);
    if (read.kind === 'missing') return { all: {}, damage: null };
    if (read.kind === 'damaged') return { all: {}, damage: read.reason, ...(read.denied ? { denied: read.denied } : {}) };
    const all = read.value;
    if (all && typeof all === 'object' && !Array.isArray(all) && Object.values(all).every((v) => typeof v === 'string')) {
      return { all: all as Record<string, string>, damage: null };
    }
    return { all: {}, damage: 'not a list of saved passwords' };
  }

  /**
   * The stored secrets: none when there is no file. A damaged file is read as none too, and, when
   * about to be rewritten (`forWrite`), first set aside, durably, as `secrets.json.damaged-<time>-<pid>`
   * (data-dir.ts, as history.json and settings.json): the next save then does not silently drop
   * the passwords it held. A failed set-aside throws, and nothing is written.
   */
  async #read(forWrite = false): Promise<Record<string, string>> {
    const { all, damage, denied } = await this.#readAll();
    // Another user's file (`denied`): not set aside, the save refused with that error.
    if (damage !== null && forWrite) this.#setAside = { keptAs: await setAsideDamaged(this.#file, { kind: 'damaged', reason: damage, ...(denied ? { denied } : {}) }), why: damage };
    return all;
  }

  /**
   * What the user is told about the saved passwords' file (DATA_DAMAGED naming it), or null when it
   * is whole or absent: why it cannot be read (kept as it is until the next password saved), or,
   * once this process has set it aside, where. Reads only.
   */
  async damage(): Promise<FanoutError | null> {
    const file = this.#file;
    const { damage, denied } = await this.#readAll();
    if (denied) return denied;
    if (damage !== null) {
      return new FanoutError(
        'DATA_DAMAGED',
        `The saved passwords (${file}) cannot be read: ${damage}. No saved password is offered; the file is kept as it is, and the next password saved sets it aside as secrets.json.damaged-<time>`,
        { file },
      );
    }
    if (this.#setAside) {
      const { keptAs, why } = this.#setAside;
      return new FanoutError(
        'DATA_DAMAGED',
        `The saved passwords (${file}) could not be read (${why}): the file was set aside as ${keptAs}, and a new one started; enter again the passwords saved before`,
        { file },
      );
    }
    return null;
  }

  async #write(all: Record<string, string>): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    // A unique temp name per save: two saves at once no longer collide on one `.tmp`.
    await writeFileAtomic(this.#file, JSON.stringify(all), { mode: 0o600 });
  }

  /**
   * Runs a read-change-write after the ones before it (two at once would each drop the other's
   * change). A failure to set a damaged file aside or to write is WRITE_FAILED (DISK_FULL, … when
   * the disk says so) naming the file.
   */
  #update(change: (all: Record<string, string>) => boolean): Promise<void> {
    const run = this.#queue.then(async () => {
      try {
        const all = await this.#read(true);
        if (change(all)) await this.#write(all);
      } catch (err) {
        const file = this.#file;
        throw storageFault(err, this.dataDir, { file }) ?? new FanoutError('WRITE_FAILED', `Saved passwords not written to ${file}: ${(err as Error).message}`, { file }, { cause: err });
      }
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
