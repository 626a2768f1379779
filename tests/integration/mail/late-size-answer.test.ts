import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { startRelayServer, type RelayServer } from './relay-server';

/** A relay that holds the server's bytes for `holdMs` once EXAMINE's tagged OK went by (a slow server, or a stalled link). */
function stallingRelay(targetPort: number, holdMs: number): Promise<RelayServer> {
  return startRelayServer(targetPort, (client, upstream) => {
    let stalled = false; let held: Buffer[] | null = null; let seen = '';
    client.on('data', (c) => upstream.write(c));
    upstream.on('data', (chunk: Buffer) => {
      if (held) { held.push(chunk); return; }
      if (!stalled) {
        const text = seen + chunk.toString('latin1');
        const m = /\r\n[A-Za-z0-9]+ OK \[READ-ONLY\][^\r\n]*\r\n/.exec(text);
        if (m) {
          stalled = true;
          const cut = m.index + m[0].length - seen.length;
          client.write(chunk.subarray(0, cut));
          held = [chunk.subarray(cut)];
          setTimeout(() => { for (const b of held!) client.write(b); held = null; }, holdMs);
          return;
        }
        seen = text.slice(-200);
      }
      client.write(chunk);
    });
  });
}

describe('a size FETCH written with EXAMINE and answered late (Dovecot behind a stalling relay)', () => {
  let bed: MailTestBed<DovecotServer>;
  let srv: DovecotServer;
  let account: MailAccount;
  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-late-bed-', folders: [{ path: 'Archive', count: 10 }], logoutAdmin: true });
    srv = bed.srv;
    account = bed.account();
  }, 60_000);
  afterAll(async () => { await bed?.stop(); });

  it('an answer that starts 7 s after EXAMINE is not counted twice', async () => {
    const relay = await stallingRelay(srv.port, 7_000);
    const out = mkdtempSync(join(tmpdir(), 'he-late-'));
    try {
      const result = await runMailJob({ kind: 'mail', account: { ...account, port: relay.port }, outDir: out, connections: 1, strategy: 'adaptive', folders: ['Archive'] }, createJobControl());
      const root = accountDir({ outDir: out, account });
      const files = readdirSync(join(root, 'Archive')).filter((f) => f.endsWith('.eml'));
      console.log(JSON.stringify({ failures: result.failures, itemsDone: result.itemsDone, files: files.length }));
      for (const f of readdirSync(join(root, 'Archive'))) if (!f.endsWith('.eml')) console.log(f, readFileSync(join(root, 'Archive', f), 'utf8').slice(0, 1500));
      expect(result.failures).toEqual([]);
      expect(files).toHaveLength(10);
      expect(result.itemsDone).toBe(10);
    } finally {
      await relay.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});
