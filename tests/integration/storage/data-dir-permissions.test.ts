/**
 * The data folder (history, settings, saved passwords) holding a file this user may not read (a
 * `sudo fanout serve` once, umask 077): the file is not damaged, so it is not set aside (renamed
 * to *.damaged-<time>) with a new history started in its place, as a file that is not JSON is; the
 * job's end says the history was not saved, naming the file and the permission to fix. Run as
 * nobody (root reads any file): the job as the web host starts it (JobManager), in a child process.
 */
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { NOBODY, nobodyCli, skipWithoutUnprivileged, type NobodyCli } from './as-nobody';

const repo = resolve(__dirname, '../../..');
const skip = skipWithoutUnprivileged();
let cli: NobodyCli;
let fx: GutenbergFixture;

beforeAll(async () => {
  if (skip) return;
  [cli, fx] = await Promise.all([nobodyCli('fanout-data-perm'), startGutenbergFixture()]);
  await chmod(fx.dir, 0o755);
}, 120_000);

afterAll(async () => {
  await fx?.cleanup();
  await cli?.remove();
});

describe.skipIf(skip)('a data-folder file this user may not read', () => {
  it('history.json of another user: kept where it is, untouched; the job succeeds and says the history was not saved, naming the file', async () => {
    const data = join(cli.base, 'data-history');
    const out = join(cli.base, 'out-history');
    await mkdir(data);
    await mkdir(out);
    const history = join(data, 'history.json');
    const before = JSON.stringify([{ summary: { jobId: 'gutenberg-old', status: 'succeeded', failures: [] }, hasRecording: false }]);
    await writeFile(history, before, { mode: 0o600 });
    await Promise.all([chown(data, NOBODY, NOBODY), chown(out, NOBODY, NOBODY)]);
    const r = await runProcess(process.execPath, ['--import', 'tsx', join(__dirname, 'job-manager-entry.ts'), data, out, fx.catalogPath, fx.http.url], {
      cwd: repo,
      env: { ...process.env, HOME: data, FANOUT_DEBUG: '' },
      uid: NOBODY,
      gid: NOBODY,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { status: string; failures: string[]; warnings: string[]; history: string };
    expect(got.status).toBe('succeeded');
    expect(got.warnings.join('\n')).toMatch(/^History not saved: .*permission denied \(EACCES\) on .*history\.json/m);
    expect(got.history).toContain(history);
    // Not set aside, not replaced: the other user's file is as it was, and no new history hides it.
    expect((await readdir(data)).filter((n) => n.startsWith('history.json'))).toEqual(['history.json']);
    expect(await readFile(history, 'utf8')).toBe(before);
    expect((await stat(history)).uid).toBe(0);
  }, 180_000);
});
