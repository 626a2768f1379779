import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { listFoldersOn } from '../../../electron/engine/mail/folders';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { FolderState } from '../../../electron/engine/mail/generations';
import type { IndexRecord } from '../../../electron/engine/mail/index-file';
import type { MailAccount } from '../../../shared/job-spec';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { startCommandRelay } from './command-relay';

/**
 * A folder with nothing archived needs no CONDSTORE to be planned (plan-folder.ts): on Dovecot,
 * where CONDSTORE is all the deferred ENABLE turns on, a first run sends no ENABLE (one round trip
 * less before the first message), and state.json still records HIGHESTMODSEQ (LIST-STATUS's), so
 * the next run can skip an unchanged folder. A connection that selected a folder without ENABLE
 * never sends it afterwards (ENABLE is valid only before a folder is selected): a folder it plans
 * later goes without CONDSTORE, its flags all fetched.
 */
describe('first run without ENABLE (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  let srv: DovecotServer;
  let account: MailAccount;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-first-bed-', folders: [{ path: 'INBOX', count: 12 }, { path: 'Archive', count: 9 }], logoutAdmin: true });
    srv = bed.srv;
    account = bed.account();
  }, 60_000);
  afterAll(async () => {
    await bed?.stop();
  });

  const state = (root: string, dir: string) => JSON.parse(readFileSync(join(root, dir, 'state.json'), 'utf8')) as FolderState;
  const index = (root: string, dir: string) =>
    readFileSync(join(root, dir, 'index.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as IndexRecord);
  /** ENABLE, when a session sends it, comes before its first EXAMINE. */
  const enableAfterSelect = (sessions: string[][]) =>
    sessions.some((s) => {
      const examine = s.findIndex((c) => c.startsWith('EXAMINE') || c.startsWith('SELECT'));
      return examine >= 0 && s.slice(examine).includes('ENABLE');
    });

  it.each([1, 3])('N = %i: a first run sends no ENABLE and keeps HIGHESTMODSEQ; a later run with a new folder and changed flags stays correct', async (connections) => {
    const relay = await startCommandRelay(srv.port);
    const out = mkdtempSync(join(tmpdir(), 'fanout-first-'));
    try {
      const job = () => runMailJob({ kind: 'mail', account: { ...account, port: relay.port }, outDir: out, connections, strategy: 'adaptive' }, createJobControl(), { limits: { chunkMessages: 5 } });
      const held = async () => {
        const c = await srv.connect();
        try {
          let n = 0;
          for (const f of await c.list()) {
            const st = await c.status(f.path, { messages: true });
            n += st ? (st.messages ?? 0) : 0;
          }
          return n;
        } finally {
          await c.logout();
        }
      };
      const before = await held();
      const first = await job();
      expect(first.failures).toEqual([]);
      expect(first.itemsDone).toBe(before);
      expect(relay.sessions.flat().filter((c) => c.startsWith('EXAMINE')).length).toBeGreaterThanOrEqual(2);
      expect(relay.sessions.flat()).not.toContain('ENABLE');

      const root = accountDir({ outDir: out, account });
      const admin = await srv.connect();
      const listed = await listFoldersOn(admin);
      for (const [path, dir] of [['INBOX', 'INBOX'], ['Archive', 'Archive']] as const) {
        const info = listed.find((f) => f.path === path)!;
        expect(info.highestModseq).not.toBeNull();
        expect(state(root, dir).synced?.highestModseq).toBe(info.highestModseq);
      }

      // Nothing changed: no folder is selected.
      relay.sessions.length = 0;
      const again = await job();
      expect(again.itemsDone).toBe(0);
      expect(relay.sessions.flat().filter((c) => c.startsWith('EXAMINE'))).toEqual([]);

      // A new folder (nothing archived) beside an archived one with a new message and a flag changed.
      const fresh = `Fresh${connections}`;
      await admin.mailboxCreate(fresh);
      await fillMailbox(admin, [{ path: fresh, count: 4 }, { path: 'INBOX', count: 1 }], 7 + connections);
      await admin.mailboxOpen('INBOX');
      const flagged = index(root, 'INBOX')[0]!.uid;
      await admin.messageFlagsAdd(String(flagged), ['\\Flagged'], { uid: true });
      await admin.logout();
      relay.sessions.length = 0;
      const third = await job();
      expect(third.failures).toEqual([]);
      expect(third.itemsDone).toBe(5);
      expect(third.itemsDone + before).toBe(await held());
      expect(enableAfterSelect(relay.sessions)).toBe(false);
      expect(index(root, 'INBOX').find((r) => r.uid === flagged)?.flags).toContain('\\Flagged');
      expect(readdirSync(join(root, 'INBOX')).filter((f) => f.endsWith('.eml'))).toHaveLength(index(root, 'INBOX').length);
    } finally {
      await relay.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});
