/**
 * `fanout lab mail` against a real Dovecot: each strategy × connections cell archives every message
 * into its own folder, the files are complete and the notes are those of the measured points. No timing.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { analyseLab } from '../../../shared/lab/lab-analysis';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox, type FolderFill } from '../../harness/dovecot-fill';
import { checkSvg } from '../../unit/lab/svg-check';
import { runFanoutCli } from '../../harness/fanout-cli';

const FOLDERS: FolderFill[] = [{ path: 'INBOX', count: 24 }, { path: 'Archive', count: 12 }];

const fanout = (args: string[], env: Record<string, string>) => runFanoutCli(args, { env });

let srv: DovecotServer;
let admin: ImapFlow;
let dir = '';
beforeAll(async () => {
  srv = await startDovecot();
  admin = await srv.connect();
  await fillMailbox(admin, FOLDERS);
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-mail-'));
}, 120_000);
afterAll(async () => {
  await admin?.logout().catch(() => undefined);
  await srv?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('fanout lab mail', () => {
  it('archives every message in each strategy × connections cell and writes the files', async () => {
    const out = join(dir, 'out');
    const r = await fanout(['lab', 'mail', '--host', srv.host, '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--strategies', 'serial,queue,split', '--connections', '1,2', '--out-dir', out, '--json'], { FANOUT_TEST_PW: srv.password });
    expect(r.stderr).toContain('lab succeeded: 5 cells measured');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { points: LabPoint[]; analysis: { notes: string[] } };
    expect(json.points.map((p) => `${p.strategy}×${p.workers}`)).toEqual(['serial×1', 'queue×1', 'queue×2', 'split×1', 'split×2']);
    expect(json.points.every((p) => p.itemsDone === 36 && p.itemsFailed === 0 && p.bytes > 0)).toBe(true);
    expect(json.analysis.notes).toEqual(analyseLab(json.points).notes);
    expect((await readFile(join(out, 'lab.csv'), 'utf8')).trimEnd().split('\n')).toHaveLength(6);
    const svg = checkSvg(await readFile(join(out, 'lab.svg'), 'utf8'));
    expect(svg.elements.filter((e) => e.name === 'circle')).toHaveLength(4);
    // The cells' archives are gone; only the lab's files (and the folder lock's leftovers, if any) remain.
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
  });
});
