import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MailAccount } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { startCommandRelay, type CommandRelay } from './command-relay';

/** What the test does when the job writes folders.json (other files are written as usual). */
const hook: { onFoldersFile: ((path: string) => Promise<void>) | null } = { onFoldersFile: null };

vi.mock('../../../electron/engine/output/atomic-file', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../electron/engine/output/atomic-file')>();
  return {
    ...real,
    writeFileAtomic: async (...args: Parameters<typeof real.writeFileAtomic>) => {
      if (basename(args[0]) === 'folders.json' && hook.onFoldersFile) await hook.onFoldersFile(args[0]);
      return real.writeFileAtomic(...args);
    },
  };
});

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/**
 * folders.json (IMAP path → directory) is written when a folder is new, with two fsyncs. Its write
 * overlaps the first EXAMINEs (they were sent only after it), but nothing is written in a folder's
 * directory before it is durable, and a failed write fails the job as before.
 */
describe('folders.json and the first EXAMINE (Dovecot)', () => {
  let srv: DovecotServer;
  let account: MailAccount;
  let relay: CommandRelay;

  beforeAll(async () => {
    srv = await startDovecot();
    const admin = await srv.connect();
    await fillMailbox(admin, [{ path: 'INBOX', count: 12 }, { path: 'Archive', count: 9 }]);
    await admin.logout();
    relay = await startCommandRelay(srv.port);
    account = { host: srv.host, port: relay.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
  }, 60_000);
  afterAll(async () => {
    hook.onFoldersFile = null;
    await relay?.stop();
    await srv?.stop();
  });

  it.each([1, 3])('the EXAMINEs go out while folders.json is written, and no file is in a folder directory before it is (N = %i)', async (connections) => {
    const out = mkdtempSync(join(tmpdir(), 'fanout-ff-'));
    const root = accountDir({ outDir: out, account });
    relay.sessions.length = 0;
    let examinedBefore = false;
    let filesBefore: string[] = [];
    hook.onFoldersFile = async () => {
      // Bounded: waits for an EXAMINE on the wire for at most 5 s (before the change, none came while this waited).
      for (let i = 0; i < 100 && !relay.sessions.flat().some((c) => c.startsWith('EXAMINE ')); i++) await new Promise((r) => setTimeout(r, 50));
      examinedBefore = relay.sessions.flat().some((c) => c.startsWith('EXAMINE '));
      // Give the plans time to reach their disk work: they must wait for this write.
      await new Promise((r) => setTimeout(r, 200));
      filesBefore = filesUnder(root).filter((f) => f !== 'folders.json' && !f.startsWith('.'));
    };
    try {
      const result = await runMailJob({ kind: 'mail', account, outDir: out, connections, strategy: 'adaptive' }, createJobControl());
      expect(result.failures).toEqual([]);
      expect(result.itemsDone).toBe(21);
      expect(examinedBefore).toBe(true);
      expect(filesBefore).toEqual([]);
      expect(existsSync(join(root, 'folders.json'))).toBe(true);
    } finally {
      hook.onFoldersFile = null;
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  /**
   * A first run's plan does not wait for folders.json and the new generation's state.json to be
   * durable (their fsyncs can take longer than a round trip): the body FETCH goes out meanwhile, and
   * the message files wait for them (FolderStore.writesAfter).
   */
  it.each([1, 3])('a first run asks for the bodies while folders.json is still being written, and writes no message before it is (N = %i)', async (connections) => {
    const out = mkdtempSync(join(tmpdir(), 'fanout-ff-'));
    const root = accountDir({ outDir: out, account });
    relay.writes.length = 0;
    const bodyFetches = () => relay.writes.flat().filter((w) => w.length === 1 && w[0] === 'UID FETCH').length;
    let bodiesBefore = 0;
    let filesBefore: string[] = [];
    hook.onFoldersFile = async () => {
      // Bounded: waits for a body FETCH on the wire for at most 5 s (before the change, none came while this waited).
      for (let i = 0; i < 100 && bodyFetches() === 0; i++) await new Promise((r) => setTimeout(r, 50));
      bodiesBefore = bodyFetches();
      // The bodies arrive meanwhile: none may be written before folders.json is durable.
      await new Promise((r) => setTimeout(r, 300));
      filesBefore = filesUnder(root).filter((f) => f !== 'folders.json' && !f.startsWith('.'));
    };
    try {
      const result = await runMailJob({ kind: 'mail', account, outDir: out, connections, strategy: 'adaptive' }, createJobControl());
      expect(result.failures).toEqual([]);
      expect(result.itemsDone).toBe(21);
      expect(bodiesBefore).toBeGreaterThan(0);
      expect(filesBefore).toEqual([]);
    } finally {
      hook.onFoldersFile = null;
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('a folders.json that cannot be written fails the job, with nothing written in a folder directory', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fanout-ff-'));
    const root = accountDir({ outDir: out, account });
    hook.onFoldersFile = async () => {
      await new Promise((r) => setTimeout(r, 200));
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
    try {
      const result = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
      expect(result.status).toBe('failed');
      expect(result.itemsDone).toBe(0);
      expect(JSON.stringify(result.failures)).toMatch(/EIO|i\/o error/);
      expect(filesUnder(root).filter((f) => f.endsWith('.eml') || f.endsWith('state.json') || f.endsWith('index.jsonl'))).toEqual([]);
    } finally {
      hook.onFoldersFile = null;
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
