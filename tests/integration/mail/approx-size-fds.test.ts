import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapTestServer } from '../../harness/imap-server';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { openApproxSizeBed, type ApproxSizeBed } from './approx-size-bed';
import type { MailTestBed } from './mail-test-bed';
import { bodyAsks, type ResponseRelay } from './response-relay';

/**
 * HE s18 F1: on a server whose RFC822.SIZE is approximate for every message (Exchange: the case
 * 80475bd is for), each held body keeps its temp file OPEN until the NOOP + UID SEARCH after the
 * FETCH: one descriptor per message of the chunk (250 per connection, 1000 on one connection).
 * Counted at the moment the NOOP after the FETCH reaches the server (deterministic: the relay's
 * beforeCommand runs in this process, where the engine's descriptors are).
 */
function archiveFds(out: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(out)) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

describe.each(['dovecot', 'cyrus', 'courier'] as const)('approx RFC822.SIZE: descriptors held (%s)', (entry) => {
  let approx: ApproxSizeBed;
  let bed: MailTestBed<ImapTestServer>;
  let relay: ResponseRelay;
  let account: MailAccount;
  let path = '';
  let fetched = false;
  const atNoop: number[] = [];

  beforeAll(async () => {
    approx = await openApproxSizeBed(entry, {
      tmpPrefix: `fanout-he-approx-fds-${entry}-`,
      fill: { count: 300 },
      seed: 58,
      beforeCommand: (line) => {
        if (/UID FETCH .*BODY/i.test(line)) fetched = true;
        if (fetched && / NOOP/i.test(line)) atNoop.push(archiveFds(bed.out));
      },
    });
    ({ bed, relay, account, path } = approx);
  }, 180_000);

  afterAll(async () => {
    await approx?.stop();
  });

  it('holds at most a few archive files open while the held bodies are judged', async () => {
    const res = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 30_000 }, createJobControl());
    expect(res.status).toBe('succeeded');
    expect(res.itemsDone).toBe(300);
    const asks = bodyAsks(relay.commands);
    console.log('archive fds open at each NOOP after a body FETCH:', atNoop, 'bytes down:', relay.bytesDown, 'body asks:', [...asks.values()].reduce((a, b) => a + b, 0));
    // Still each body asked for once (the bodies are held on disk, not dropped and fetched again).
    expect(asks.size).toBe(300);
    expect([...asks.values()].filter((n) => n !== 1)).toEqual([]);
    expect(atNoop.length).toBeGreaterThan(0);
    expect(Math.max(...atNoop)).toBeLessThan(20);
  }, 180_000);
});
