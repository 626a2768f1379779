import { join } from 'node:path';
import type { Settings } from '../../../shared/ipc';
import { SettingsPatchSchema } from '../../../shared/ipc-schemas';
import { FanoutError } from '../core/fanout-error';
import { writeFileAtomic } from '../output/atomic-file';
import { storageFault } from '../output/storage-fault';
import { makeDirs } from '../output/make-dirs';
import { readDataJson, setAsideDamaged } from './data-dir';

export function defaultSettings(defaultOutDir: string): Settings {
  return {
    mirror: 'https://gutenberg.pglaf.org/',
    outDir: defaultOutDir,
    workers: 4,
    strategy: 'adaptive',
    lastCatalog: '',
    mail: { host: '', user: '', tls: 'implicit', rememberPassword: false },
  };
}

/**
 * Remembered settings, JSON in the data dir. Never holds a password (see the Electron secret store).
 *
 * A settings.json that cannot be read whole (not JSON, not an object, a value this version refuses,
 * a read error) is not overwritten as if it were empty: its readable values are used, and the next
 * save first sets the file aside as `settings.json.damaged-<time>-<pid>` (durably); `damage` says so.
 */
export class SettingsStore {
  #cache: Settings | null = null;
  /** Why settings.json could not be read, while it still is to be set aside; null when whole. */
  #unread: string | null = null;
  /** What the user is told: why the file could not be read, and where it was set aside. */
  damage: string | null = null;

  /** `damage` as the error the host hands on (DATA_DAMAGED, naming the file); null when whole. */
  get damageError(): FanoutError | null {
    return this.damage === null ? null : new FanoutError('DATA_DAMAGED', this.damage, { file: this.#file });
  }

  constructor(
    readonly dataDir: string,
    private readonly defaults: Settings,
  ) {}

  get #file(): string {
    return join(this.dataDir, 'settings.json');
  }

  async get(): Promise<Settings> {
    if (this.#cache) return this.#cache;
    const read = await readDataJson(this.#file);
    let stored: Partial<Settings> = {};
    let reason: string | null = null;
    if (read.kind === 'damaged') {
      reason = read.reason;
      this.#denied = read.denied ?? null;
    }
    else if (read.kind === 'read') {
      const value = read.value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) reason = 'not a JSON object';
      else {
        const parsed = SettingsPatchSchema.safeParse(value);
        if (parsed.success) stored = parsed.data;
        else {
          // Each value on its own: one refused (a newer version's, a hand edit) does not cost the others.
          const refused: string[] = [];
          for (const [key, v] of Object.entries(value)) {
            const one = SettingsPatchSchema.safeParse({ [key]: v });
            if (one.success) Object.assign(stored, one.data);
            else refused.push(key);
          }
          reason = `${refused.join(', ')} not readable by this version`;
        }
      }
    }
    if (reason !== null) {
      this.#unread = reason;
      // Another user's file is not damaged: saving is refused (naming it and the permission), never set aside.
      this.damage = this.#denied ? this.#denied.message : `The settings (${this.#file}) cannot be read whole: ${reason}. It is kept as it is; the next save sets it aside as settings.json.damaged-<time>`;
    }
    this.#cache = { ...this.defaults, ...stored };
    return this.#cache;
  }

  /** The damaged file set aside once, before any save writes (saves at once all wait for it; a failed one is tried again by the next save). */
  #setAsideOnce(): Promise<void> {
    const reason = this.#unread;
    if (reason !== null) {
      this.#unread = null;
      const file = this.#file;
      const denied = this.#denied;
      this.#settingAside = setAsideDamaged(file, { kind: 'damaged', reason, ...(denied ? { denied } : {}) }).then(
        (keptAs) => {
          this.damage = `The settings (${file}) could not be read whole (${reason}): the file was set aside as ${keptAs}, and new settings saved`;
        },
        (err: unknown) => {
          this.#unread = reason;
          throw err;
        },
      );
    }
    return this.#settingAside;
  }

  #settingAside: Promise<void> = Promise.resolve();

  /** The file is another user's (readDataJson's `denied`): saving refuses with this. */
  #denied: FanoutError | null = null;

  /** Saves one after the other: each starts from the one before (two at once each wrote the whole file, the last dropping the other's field). */
  #saving: Promise<unknown> = Promise.resolve();

  set(patch: Partial<Settings>): Promise<Settings> {
    const run = this.#saving.then(() => this.#set(patch));
    this.#saving = run.catch(() => {});
    return run;
  }

  async #set(patch: Partial<Settings>): Promise<Settings> {
    if (this.#denied) {
      // Refused before as another user's file: read it again, the user may have fixed its permissions
      // (it was refused for the life of the process). One read, one decision, per save.
      this.#cache = null;
      this.#denied = null;
      this.#unread = null;
      this.damage = null;
      this.#settingAside = Promise.resolve();
    }
    const next = { ...(await this.get()), ...patch };
    const file = this.#file;
    try {
      await makeDirs(this.dataDir);
      await this.#setAsideOnce();
      await writeFileAtomic(file, JSON.stringify(next, null, 2));
    } catch (err) {
      // The cached settings stay as they were: what is on disk.
      throw storageFault(err, this.dataDir, { file }) ?? new FanoutError('WRITE_FAILED', `Settings not saved to ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    this.#cache = next;
    return next;
  }
}
