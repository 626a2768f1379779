/**
 * s19, the open-files pre-flight (core/open-files-check.ts): a job whose workers need more
 * descriptors (Gutenberg: workers × 3 + 40; mail: connections × 9 + 24, at least 57, as measured)
 * than this process may open runs with the workers that fit and says so once, naming the limit,
 * the workers asked and run, and the fix; read from /proc/self/limits (Node has no call for
 * RLIMIT_NOFILE). The real limit is read under `prlimit --nofile` in a child.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { MAIL_FILES, filesNeeded, openFilesLimit, planForOpenFiles } from '../../../electron/engine/core/open-files-check';
import { prlimitMissing } from '../../integration/storage/prlimit';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 4096                 files
Max locked memory         8388608              8388608              bytes
`;

it('reads the soft limit of /proc/self/limits; unlimited or absent: null', () => {
  expect(openFilesLimit(LIMITS)).toBe(1024);
  expect(openFilesLimit(LIMITS.replace('1024   ', 'unlimited'))).toBeNull();
  expect(openFilesLimit('Limit Soft Hard Units\n')).toBeNull();
});

it('workers that fit run as asked, no note; a limit not known checks nothing', () => {
  expect(filesNeeded(32)).toBe(136);
  expect(filesNeeded(1)).toBe(47);
  expect([1, 4, 8, 16].map((n) => filesNeeded(n, MAIL_FILES))).toEqual([57, 60, 96, 168]);
  expect(planForOpenFiles(32, { noun: 'workers', limit: 136 })).toEqual({ workers: 32, limit: 136, note: null });
  expect(planForOpenFiles(500, { noun: 'workers', limit: null })).toEqual({ workers: 500, limit: null, note: null });
});

it('too many for the limit: the most that fit, with one note naming the limit, the workers asked and run, and the fix', () => {
  const plan = planForOpenFiles(32, { noun: 'workers', limit: 100 });
  expect(plan.workers).toBe(20); // (100 - 40) / 3
  expect(plan.note).toContain('may have 100 files and connections open (ulimit -n)');
  expect(plan.note).toContain('32 workers need about 136');
  expect(plan.note).toContain('this job runs 20 workers, not 32');
  expect(plan.note).toContain('ulimit -n 1024');
  const mail = planForOpenFiles(8, { noun: 'connections', profile: MAIL_FILES, limit: 80 });
  expect(mail).toMatchObject({ workers: 6, note: expect.stringContaining('8 connections need about 96 (9 each + 24, at least 57), so this job runs 6 connections, not 8') });
  // Not even one fits: one, said so.
  expect(planForOpenFiles(8, { noun: 'connections', profile: MAIL_FILES, limit: 50 })).toMatchObject({ workers: 1, note: expect.stringContaining('runs 1 connection, not 8 (even 1 may be too many: it needs about 57)') });
  expect(planForOpenFiles(4, { noun: 'workers', limit: 30 })).toMatchObject({ workers: 1, note: expect.stringContaining('runs 1 worker, not 4 (even 1 may be too many: it needs about 47)') });
  // The most that fit: at 47, 2 workers (3 × 2 + 40 = 46, at least 47), not 3 (49).
  expect(planForOpenFiles(4, { noun: 'workers', limit: 47 }).workers).toBe(2);
});

it.skipIf(prlimitMissing() !== null)('the limit read in a process started under prlimit --nofile (Node raises its soft limit to the hard one)', () => {
  const tsx = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
  const script = `import { openFilesLimit, planForOpenFiles } from ${JSON.stringify(join(__dirname, '../../../electron/engine/core/open-files-check.ts'))}; console.log(JSON.stringify({ limit: openFilesLimit(), plan: planForOpenFiles(32, { noun: 'workers' }).workers }));`;
  const out = execFileSync('prlimit', ['--nofile=64:100', process.execPath, '--import', tsx, '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ limit: 100, plan: 20 });
});
