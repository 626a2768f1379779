/**
 * A job cancelled while a book's raw file was landed whole (renamed into raw/) but not yet cleaned
 * and recorded leaves that file without a manifest line; the re-run downloaded it again. Now the
 * re-run adopts it (hash, clean, manifest line) without a request, byte-exact, when the stopped job
 * recorded it (.fanout-landed.json) and nothing casts doubt on it; any doubt (another mirror, bytes
 * not the ones recorded, no record) and it is fetched as before.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { readManifest } from '../../../electron/engine/gutenberg/manifest-store';
import { verifyCorpus } from '../../../electron/engine/verify/verify-corpus';
import { generateMirror, sha256, startFtpServer, startHttpServer, type FtpServer, type GeneratedMirror, type HttpServer } from '../../harness';

const BIG = 31;
const BOOKS = [BIG, 32, 33];
let dir = '';
let mirror: GeneratedMirror;
let http: HttpServer;
let other: HttpServer;
let ftp: FtpServer;
let catalog = '';
/** The clean texts of a job that downloaded everything (what an adopted book's must equal). */
const expectedClean = new Map<number, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-adopt-'));
  // The big book takes the scrubber a while: the cancel comes while its raw file is landed and it is being cleaned.
  mirror = await generateMirror(join(dir, 'mirror'), [
    { ebook: BIG, files: ['-0.txt'], sizeBytes: 64_000_000 },
    { ebook: 32, files: ['-0.txt'], sizeBytes: 300_000 },
    { ebook: 33, files: ['-0.txt'], sizeBytes: 300_000 },
  ]);
  http = await startHttpServer({ root: mirror.root });
  other = await startHttpServer({ root: mirror.root });
  ftp = await startFtpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...BOOKS.map((n) => `${n},Text,2000-01-01,"Book ${n}",en,"A",F,PR,X`), ''].join('\n'));
  const ref = join(dir, 'reference');
  expect((await run(ref, http.url)).status).toBe('succeeded');
  for (const n of BOOKS) expectedClean.set(n, await readFile(join(ref, 'clean', `${n}.txt`), 'utf8'));
}, 120_000);

afterAll(async () => {
  await http?.stop();
  await other?.stop();
  await ftp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function spec(out: string, url: string) {
  return GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: url, outDir: out, workers: 1, strategy: 'queue' });
}

async function run(out: string, url: string): Promise<JobSummary> {
  return runGutenbergJob(spec(out, url), createJobControl());
}

/**
 * Runs the job and cancels it once the big book's raw file is landed and handed to the scrubber
 * (60 ms after the rename: cleaning 64 MB takes far longer, on a quiet machine too; with 24 MB and
 * 100 ms the job could end first when the machine was quiet).
 */
async function cancelledAtLanding(out: string, url = http.url): Promise<JobSummary> {
  const control = createJobControl();
  const raw = join(out, 'raw', `${BIG}-0.txt`);
  const poll = setInterval(() => {
    if (!existsSync(raw)) return;
    clearInterval(poll);
    setTimeout(() => control.abort(), 60);
  }, 5);
  try {
    return await runGutenbergJob(spec(out, url), control);
  } finally {
    clearInterval(poll);
  }
}

const bigPath = `/3/${BIG}/${BIG}-0.txt`;
const requestsOfBig = (server: HttpServer) => server.requests.filter((r) => r.path.startsWith(`/3/${BIG}/`));

async function expectWholeAndRecorded(out: string): Promise<void> {
  const manifest = await readManifest(out);
  for (const n of BOOKS) {
    const file = mirror.books.get(n)!.files[0]!;
    expect(sha256(await readFile(join(out, 'raw', `${n}-0.txt`))), `raw ${n}`).toBe(file.sha256);
    expect(await readFile(join(out, 'clean', `${n}.txt`), 'utf8'), `clean ${n}`).toBe(expectedClean.get(n));
    expect(manifest.get(n), `manifest ${n}`).toMatchObject({ status: 'ok', rawSha256: file.sha256, rawBytes: file.bytes });
  }
  const report = await verifyCorpus(out);
  expect({ missing: report.missing, corrupt: report.corrupt, extra: report.extra }).toEqual({ missing: [], corrupt: [], extra: [] });
}

async function stopped(out: string, url = http.url): Promise<void> {
  const first = await cancelledAtLanding(out, url);
  expect(first.status).toBe('cancelled');
  // The state this is about: the big book's raw file whole under its final name, handed to the scrubber.
  expect(first.scrubStage?.peakInFlight).toBeGreaterThan(0);
  expect(sha256(await readFile(join(out, 'raw', `${BIG}-0.txt`)))).toBe(mirror.books.get(BIG)!.files[0]!.sha256);
  // Cancelled is not failed: no failure, no line for it (a cancel counted it failed, ABORTED, with a failed line).
  expect(first.itemsFailed).toBe(0);
  expect(first.failures).toEqual([]);
  expect((await readManifest(out)).has(BIG)).toBe(false);
}

describe('a raw file landed whole by a cancelled job', () => {
  it('is adopted by the re-run: no request for it, byte-exact, recorded, the summary reconciled', async () => {
    const out = join(dir, 'adopt');
    await stopped(out);
    const before = (await readManifest(out)).size;
    http.requests.length = 0;
    const again = await run(out, http.url);
    expect(again.status).toBe('succeeded');
    expect(requestsOfBig(http), 'requests for the adopted book').toEqual([]);
    expect(again.itemsDone + again.itemsSkipped).toBe(BOOKS.length);
    expect(again.itemsFailed).toBe(0);
    await expectWholeAndRecorded(out);
    expect((await readManifest(out)).get(BIG)).toMatchObject({ sourceUrl: `${http.url}${bigPath}`, remoteName: `${BIG}-0.txt` });
    expect(before).toBeLessThan(BOOKS.length);
    // Nothing left to adopt: the record is gone.
    expect(existsSync(join(out, '.fanout-landed.json'))).toBe(false);
  });

  it('ftp (vsftpd): adopted the same way, no command for it', async () => {
    const out = join(dir, 'adopt-ftp');
    await stopped(out, ftp.url);
    const logged = (await readFile(ftp.logPath!, 'utf8')).length;
    const again = await run(out, ftp.url);
    expect(again.status).toBe('succeeded');
    const commands = (await readFile(ftp.logPath!, 'utf8')).slice(logged);
    expect(commands.split('\n').filter((l) => l.includes(`/${BIG}/`) || l.includes(`${BIG}-0.txt`)), 'commands for the adopted book').toEqual([]);
    await expectWholeAndRecorded(out);
    expect((await readManifest(out)).get(BIG)).toMatchObject({ sourceUrl: expect.stringContaining(`/3/${BIG}/${BIG}-0.txt`) });
  });

  it('is fetched when the re-run uses another mirror (it may hold another version)', async () => {
    const out = join(dir, 'other-mirror');
    await stopped(out);
    other.requests.length = 0;
    expect((await run(out, other.url)).status).toBe('succeeded');
    expect(requestsOfBig(other).length).toBeGreaterThan(0);
    await expectWholeAndRecorded(out);
  });

  it('is fetched when its bytes are not the ones recorded (same size), or when no record says what it is', async () => {
    const out = join(dir, 'changed');
    await stopped(out);
    const path = join(out, 'raw', `${BIG}-0.txt`);
    const bytes = await readFile(path);
    bytes[1000] = bytes[1000]! ^ 1;
    await writeFile(path, bytes);
    http.requests.length = 0;
    expect((await run(out, http.url)).status).toBe('succeeded');
    expect(requestsOfBig(http).length).toBeGreaterThan(0);
    await expectWholeAndRecorded(out);

    const none = join(dir, 'no-record');
    await stopped(none);
    await unlink(join(none, '.fanout-landed.json'));
    http.requests.length = 0;
    expect((await run(none, http.url)).status).toBe('succeeded');
    expect(requestsOfBig(http).length).toBeGreaterThan(0);
    await expectWholeAndRecorded(none);
  });
});
