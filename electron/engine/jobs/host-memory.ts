/**
 * What jobs learnt about FTP servers, kept across jobs and runs in `<dataDir>/ftp-hosts.json`
 * (beside settings.json): the servers that need lock-step (see mirror/ftp-host-state.ts). A job to
 * such a server starts lock-step instead of probing it again with a command during a transfer
 * (pure-ftpd answers the probe with `500` and the connection is closed and reopened).
 *
 * A verdict is an optimisation, never a correctness matter (every reply is checked either way): a
 * damaged or unwritable file is ignored, and a verdict older than VERDICT_DAYS is forgotten (the
 * server may have changed) so the server is probed again.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RememberedFtpHosts } from '../mirror/ftp-host-state';
import { writeFileAtomic } from '../output/atomic-file';

const VERDICT_DAYS = 30;
/** Most servers remembered (the newest kept). */
const MAX_HOSTS = 200;

interface LockStepVerdict {
  reason: string;
  since: string;
}

interface StoredHosts {
  lockStep: Record<string, LockStepVerdict>;
}

export class FtpHostMemory implements RememberedFtpHosts {
  #hosts: Promise<StoredHosts> | null = null;
  /** Saves one after the other, so two verdicts at once both land. */
  #saving: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {}

  get file(): string {
    return join(this.dataDir, 'ftp-hosts.json');
  }

  async isLockStep(hostKey: string): Promise<boolean> {
    const v = (await this.#load()).lockStep[hostKey];
    return v !== undefined && Date.now() - Date.parse(v.since) < VERDICT_DAYS * 86_400_000;
  }

  /** Remembers `hostKey` as lock-step; resolves once it is on disk (a failed save is not an error). */
  rememberLockStep(hostKey: string, reason: string): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const hosts = await this.#load();
      hosts.lockStep[hostKey] = { reason, since: new Date().toISOString() };
      const newest = Object.entries(hosts.lockStep).sort((a, b) => b[1].since.localeCompare(a[1].since)).slice(0, MAX_HOSTS);
      hosts.lockStep = Object.fromEntries(newest);
      try {
        await mkdir(this.dataDir, { recursive: true });
        await writeFileAtomic(this.file, JSON.stringify(hosts, null, 2));
      } catch {
        // Not remembered: the next job probes the server again, as it would have without this file.
      }
    });
    return this.#saving;
  }

  #load(): Promise<StoredHosts> {
    this.#hosts ??= readFile(this.file, 'utf8').then(parseHosts, () => ({ lockStep: {} }));
    return this.#hosts;
  }
}

function parseHosts(text: string): StoredHosts {
  const lockStep: Record<string, LockStepVerdict> = {};
  try {
    const raw = (JSON.parse(text) as { lockStep?: unknown }).lockStep;
    if (raw && typeof raw === 'object') {
      for (const [host, v] of Object.entries(raw as Record<string, unknown>)) {
        const { reason, since } = (v ?? {}) as Partial<LockStepVerdict>;
        if (typeof reason === 'string' && typeof since === 'string' && !Number.isNaN(Date.parse(since))) lockStep[host] = { reason, since };
      }
    }
  } catch {
    // A damaged file: nothing remembered.
  }
  return { lockStep };
}
