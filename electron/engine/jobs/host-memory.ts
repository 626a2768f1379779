/**
 * What jobs learnt about servers, kept across jobs and runs in `<dataDir>/hosts.json` (beside
 * settings.json):
 * - `lockStep`: FTP servers that need lock-step (see mirror/ftp-host-state.ts), keyed `host:port`.
 *   A job to such a server starts lock-step instead of probing it again with a command during a
 *   transfer (pure-ftpd answers the probe with `500` and the connection is closed and reopened).
 * - `connectionLimits`: how many connections a server accepted when it refused one more (see
 *   net/host-limits.ts), keyed `ftp://host:port`; the next job to it opens at most that many.
 * - `autoKnees`: the N a `--workers auto` job settled at (or held, still climbing, when it ended;
 *   see net/auto-knee.ts), keyed like the limits; the next auto job to it starts there.
 *
 * A file without a section (an earlier version's) reads as that section empty.
 * Before connection limits the file was `ftp-hosts.json` with `lockStep` only: it is still read
 * when `hosts.json` does not exist yet (and left in place; the next save writes `hosts.json`).
 *
 * Everything here is an optimisation or a courtesy, never a correctness matter: a damaged or
 * unwritable file is ignored, and an entry older than KEEP_DAYS is forgotten (the server may have
 * changed). A damaged file is not overwritten, though: the next save first sets it aside as
 * `hosts.json.damaged-<time>-<pid>` (as history.json and settings.json), and writes nothing when
 * that fails.
 */
import { join } from 'node:path';
import type { RememberedFtpHosts } from '../mirror/ftp-host-state';
import type { LearnedConnectionLimit, RememberedHostLimits } from '../net/host-limits';
import type { LearnedAutoKnee, RememberedAutoKnees } from '../net/auto-knee';
import { writeFileAtomic } from '../output/atomic-file';
import { makeDirs } from '../output/make-dirs';
import { readDataJson, setAsideDamaged, type DataFileRead } from './data-dir';

const KEEP_DAYS = 30;
/** Most servers remembered per kind (the newest kept). */
const MAX_HOSTS = 200;

interface LockStepVerdict {
  reason: string;
  since: string;
}

interface StoredHosts {
  lockStep: Record<string, LockStepVerdict>;
  connectionLimits: Record<string, LearnedConnectionLimit>;
  autoKnees: Record<string, LearnedAutoKnee>;
}

/** What the hosts hand a job (JobControl.hosts). */
export type RememberedHosts = RememberedFtpHosts & RememberedHostLimits & Required<RememberedAutoKnees>;

export class HostMemory implements RememberedHosts {
  #hosts: Promise<StoredHosts> | null = null;
  /** Saves one after the other, so two verdicts at once both land. */
  #saving: Promise<void> = Promise.resolve();
  /** The read that found hosts.json damaged (not JSON, a read error): set aside before the next save writes one; not when `denied` (another user's). */
  #damaged: DataFileRead | null = null;

  constructor(readonly dataDir: string) {}

  get file(): string {
    return join(this.dataDir, 'hosts.json');
  }

  /** The file of earlier versions (lock-step verdicts only). */
  get legacyFile(): string {
    return join(this.dataDir, 'ftp-hosts.json');
  }

  async isLockStep(hostKey: string): Promise<boolean> {
    return (await this.#fresh('lockStep', hostKey)) !== null;
  }

  /** Remembers `hostKey` as lock-step; resolves once it is on disk (a failed save is not an error). */
  rememberLockStep(hostKey: string, reason: string): Promise<void> {
    return this.#save((hosts) => {
      hosts.lockStep[hostKey] = { reason, since: new Date().toISOString() };
    });
  }

  connectionLimit(hostKey: string): Promise<LearnedConnectionLimit | null> {
    return this.#fresh('connectionLimits', hostKey);
  }

  rememberConnectionLimit(hostKey: string, limit: number, reason: string): Promise<void> {
    return this.#save((hosts) => {
      hosts.connectionLimits[hostKey] = { limit, reason, since: new Date().toISOString() };
    });
  }

  forgetConnectionLimit(hostKey: string): Promise<void> {
    return this.#save((hosts) => {
      delete hosts.connectionLimits[hostKey];
    });
  }

  autoKnee(hostKey: string): Promise<LearnedAutoKnee | null> {
    return this.#fresh('autoKnees', hostKey);
  }

  /** A section's entry for `hostKey` unless older than KEEP_DAYS (a copy: the caller may not change the store). */
  async #fresh<K extends keyof StoredHosts>(section: K, hostKey: string): Promise<StoredHosts[K][string] | null> {
    // Not readable now (OUT_OF_RESOURCES): nothing remembered, as without the file.
    const v = (await this.#load().catch(() => hostsFrom(null)))[section][hostKey] as StoredHosts[K][string] | undefined;
    return v !== undefined && fresh(v.since) ? { ...v } : null;
  }

  rememberAutoKnee(hostKey: string, workers: number, climbing: boolean): Promise<void> {
    return this.#save((hosts) => {
      hosts.autoKnees[hostKey] = { workers, climbing, since: new Date().toISOString() };
    });
  }

  #save(change: (hosts: StoredHosts) => void): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      try {
        if (this.#damaged?.kind === 'damaged' && this.#damaged.denied) {
          // Another user's file when read: read it again, its permissions may have been fixed since
          // (it was refused for the life of the process).
          this.#hosts = null;
          this.#damaged = null;
        }
        // Not readable now (OUT_OF_RESOURCES): throws, nothing written over it.
        const hosts = await this.#load();
        change(hosts);
        hosts.lockStep = newest(hosts.lockStep);
        hosts.connectionLimits = newest(hosts.connectionLimits);
        hosts.autoKnees = newest(hosts.autoKnees);
        await makeDirs(this.dataDir);
        if (this.#damaged) {
          // Another user's file (`denied`) is not set aside: this throws, and nothing is remembered.
          await setAsideDamaged(this.file, this.#damaged);
          this.#damaged = null;
        }
        await writeFileAtomic(this.file, JSON.stringify(hosts, null, 2));
      } catch {
        // Not remembered: the next job learns it again, as it would have without this file.
      }
    });
    return this.#saving;
  }

  /** The remembered hosts, read once; a read that fails (not readable now: OUT_OF_RESOURCES) rejects and is not kept. */
  #load(): Promise<StoredHosts> {
    this.#hosts ??= readDataJson(this.file).then(async (read) => {
      if (read.kind === 'read') return hostsFrom(read.value);
      if (read.kind === 'damaged') {
        this.#damaged = read;
        return hostsFrom(null); // nothing remembered (and not overwritten)
      }
      const legacy = await readDataJson(this.legacyFile);
      return hostsFrom(legacy.kind === 'read' ? legacy.value : null);
    });
    const hosts = this.#hosts;
    hosts.catch(() => {
      if (this.#hosts === hosts) this.#hosts = null; // read again next time
    });
    return hosts;
  }
}

function fresh(since: string): boolean {
  return Date.now() - Date.parse(since) < KEEP_DAYS * 86_400_000;
}

function newest<T extends { since: string }>(entries: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(entries).sort((a, b) => b[1].since.localeCompare(a[1].since)).slice(0, MAX_HOSTS));
}

/** The entries of a parsed hosts.json that are whole and dated (each read leniently; `null`: none). */
function hostsFrom(value: unknown): StoredHosts {
  const hosts: StoredHosts = { lockStep: {}, connectionLimits: {}, autoKnees: {} };
  const raw = value as { lockStep?: unknown; connectionLimits?: unknown; autoKnees?: unknown } | null;
  for (const [host, v] of entriesOf(raw?.lockStep)) {
    const { reason, since } = (v ?? {}) as Partial<LockStepVerdict>;
    if (typeof reason === 'string' && validTime(since)) hosts.lockStep[host] = { reason, since };
  }
  for (const [host, v] of entriesOf(raw?.connectionLimits)) {
    const { limit, reason, since } = (v ?? {}) as Partial<LearnedConnectionLimit>;
    if (Number.isInteger(limit) && limit! >= 1 && typeof reason === 'string' && validTime(since)) hosts.connectionLimits[host] = { limit: limit!, reason, since };
  }
  for (const [host, v] of entriesOf(raw?.autoKnees)) {
    const { workers, climbing, since } = (v ?? {}) as Partial<LearnedAutoKnee>;
    if (Number.isInteger(workers) && workers! >= 1 && typeof climbing === 'boolean' && validTime(since)) hosts.autoKnees[host] = { workers: workers!, climbing, since };
  }
  return hosts;
}

function entriesOf(value: unknown): Array<[string, unknown]> {
  return value && typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [];
}

function validTime(since: unknown): since is string {
  return typeof since === 'string' && !Number.isNaN(Date.parse(since));
}
