/**
 * `fanout verify` of a folder a job is writing (another process: the CLI, the web host, the app):
 * it said PROBLEMS over the job's half-written files and a manifest still growing. Now it is
 * refused at once, naming the job (the folder's output lock), and while a verify runs it holds
 * that lock, so a job is refused there ("in use by a verify job") and what verify reads stays put.
 * The job here is this test process holding the lock, as a running job does.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { accountDirOf } from '../../../electron/engine/mail/folder-names';
import { runFanoutCli as fanout } from '../../harness/fanout-cli';

let dir = '';
let corpus = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-verify-busy-'));
  corpus = join(dir, 'corpus');
  await mkdir(join(corpus, 'raw'), { recursive: true });
  await mkdir(join(corpus, 'clean'), { recursive: true });
  // A job under way: a manifest with no line yet, a raw file it is writing (no line records it).
  await writeFile(join(corpus, 'manifest.jsonl'), '');
  await writeFile(join(corpus, 'raw', '11-0.txt.part'), 'half a book');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fanout verify over a folder a job is writing', () => {
  it('is refused, naming the job, and reports no damage', async () => {
    const job = await acquireOutputLock(corpus, 'gutenberg');
    try {
      const r = await fanout(['verify', 'corpus', corpus]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(
        `error: ${corpus} is in use by a gutenberg job, process ${process.pid}, since ${job.owner.since}: verify it once that has ended (the files a job is still writing would show as damage; if no Fanout process works there, remove ${join(corpus, '.fanout.lock')}) [OUTPUT_LOCKED]`,
      );
    } finally {
      await job.release();
    }
  });

  it('once the job has ended it verifies, and leaves no lock behind', async () => {
    const r = await fanout(['verify', 'corpus', corpus]);
    expect(r.stdout).toMatch(/^(OK|PROBLEMS): 0 files re-hashed/);
    expect(r.stderr).not.toContain('in use');
    expect(await readdir(corpus)).not.toContain('.fanout.lock');
  });

  it('verify mail: the account\'s folder a mail job is writing is refused the same way, before connecting', async () => {
    const out = join(dir, 'mail');
    const account = accountDirOf(out, { user: 'me', host: '127.0.0.1' });
    await mkdir(account, { recursive: true });
    await writeFile(join(account, 'folders.json'), '{}');
    const job = await acquireOutputLock(account, 'mail');
    try {
      // Port 9: nothing listens there; the refusal comes first.
      const r = await fanout(['verify', 'mail', '--host', '127.0.0.1', '--port', '9', '--tls', 'none', '--user', 'me', '--password-env', 'FANOUT_TEST_PW', '--out', out], { env: { FANOUT_TEST_PW: 'pw' } });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().startsWith(`error: ${account} is in use by a mail job, process ${process.pid}, since ${job.owner.since}: verify it once that has ended`)).toBe(true);
      expect(r.stderr.trim().endsWith('[OUTPUT_LOCKED]')).toBe(true);
    } finally {
      await job.release();
    }
  });

  it('while a verify reads the folder, a job there is refused ("in use by a verify job")', async () => {
    await withFolderForVerify(corpus, async () => {
      await expect(acquireOutputLock(corpus, 'gutenberg')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED', message: expect.stringContaining('in use by a verify job') });
    });
    // Released after: a job takes the folder.
    await (await acquireOutputLock(corpus, 'gutenberg')).release();
  });
});
