import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MailAccount } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { startCommandRelay, type CommandRelay } from './command-relay';

/** Awaited before each message file is written (its final path), when set. */
const hook: { beforeWrite: ((abs: string) => Promise<void>) | null } = { beforeWrite: null };

vi.mock('../../../electron/engine/mail/message-file', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../electron/engine/mail/message-file')>();
  return {
    ...real,
    holdMessageFile: async (...args: Parameters<typeof real.holdMessageFile>) => {
      if (hook.beforeWrite) await hook.beforeWrite(args[0]);
      return real.holdMessageFile(...args);
    },
  };
});

/**
 * A job's only connection plans a folder, fetches it, then plans the next (plan-lanes.ts
 * ChunksInFlight). The next folder's EXAMINE used to wait until the last messages of the one before
 * were written and its state saved; now it goes out once they are received, and the writes settle
 * meanwhile. Every message is still written once, and each folder's state only after its files.
 */
describe('one connection: the next folder while the last writes settle (Dovecot)', () => {
  let srv: DovecotServer;
  let account: MailAccount;
  let relay: CommandRelay;
  const held = { INBOX: 12, Archive: 9, Sent: 5 };

  beforeAll(async () => {
    srv = await startDovecot();
    const admin = await srv.connect();
    await fillMailbox(admin, Object.entries(held).map(([path, count]) => ({ path, count })));
    await admin.logout();
    relay = await startCommandRelay(srv.port);
    account = { host: srv.host, port: relay.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
  }, 60_000);
  afterAll(async () => {
    hook.beforeWrite = null;
    await relay?.stop();
    await srv?.stop();
  });

  it.each(['adaptive', 'serial'] as const)('%s: the second EXAMINE goes out while the first folder\'s writes are held; every message once', async (strategy) => {
    const out = mkdtempSync(join(tmpdir(), 'fanout-fs-'));
    relay.sessions.length = 0;
    const examines = () => relay.sessions.flat().filter((c) => c.startsWith('EXAMINE '));
    let firstDir: string | null = null;
    let heldWrites = 0;
    let overlapped = 0;
    hook.beforeWrite = async (abs) => {
      firstDir ??= dirname(abs);
      if (dirname(abs) !== firstDir) return;
      heldWrites++;
      // Bounded: holds the first folder's writes until a second folder is EXAMINEd, at most 3 s
      // (before the change none was while they were held: the connection waited for them).
      for (let i = 0; i < 60 && examines().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      if (examines().length >= 2) overlapped++;
    };
    try {
      const result = await runMailJob({ kind: 'mail', account, outDir: out, connections: 1, strategy }, createJobControl());
      expect(result.failures).toEqual([]);
      expect(result.itemsDone).toBe(26);
      expect(relay.sessions).toHaveLength(1);
      // Each folder EXAMINEd once (the connection fetched each while it was selected).
      expect([...examines()].sort()).toEqual(['EXAMINE Archive', 'EXAMINE INBOX', 'EXAMINE Sent']);
      expect(heldWrites).toBeGreaterThan(0);
      expect(overlapped).toBe(heldWrites);
      const root = accountDir({ outDir: out, account });
      for (const [path, count] of Object.entries(held)) {
        const files = readdirSync(join(root, path));
        expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(count);
        expect(files).toContain('state.json');
      }
    } finally {
      hook.beforeWrite = null;
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
