import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Settings } from '../../../shared/ipc';
import { SettingsPatchSchema } from '../../../shared/ipc-schemas';
import { FanoutError } from '../core/fanout-error';
import { writeFileAtomic } from '../output/atomic-file';
import { storageFault } from '../output/storage-fault';
import { makeDirs } from '../output/make-dirs';

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

/** Remembered settings, JSON in the data dir. Never holds a password (see the Electron secret store). */
export class SettingsStore {
  #cache: Settings | null = null;

  constructor(
    readonly dataDir: string,
    private readonly defaults: Settings,
  ) {}

  async get(): Promise<Settings> {
    if (this.#cache) return this.#cache;
    let stored: unknown = {};
    try {
      stored = JSON.parse(await readFile(join(this.dataDir, 'settings.json'), 'utf8'));
    } catch {
      // first run, or a damaged file: defaults
    }
    const parsed = SettingsPatchSchema.safeParse(stored);
    this.#cache = { ...this.defaults, ...(parsed.success ? parsed.data : {}) };
    return this.#cache;
  }

  async set(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.get()), ...patch };
    const file = join(this.dataDir, 'settings.json');
    try {
      await makeDirs(this.dataDir);
      await writeFileAtomic(file, JSON.stringify(next, null, 2));
    } catch (err) {
      // The cached settings stay as they were: what is on disk.
      throw storageFault(err, this.dataDir, { file }) ?? new FanoutError('WRITE_FAILED', `Settings not saved to ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    this.#cache = next;
    return next;
  }
}
