import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import type { JobCheck } from '../../../shared/ipc';
import { parseCommand } from '../../../shared/ipc-schemas';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import { defaultCatalogReader } from '../../../electron/engine/jobs/default-runners';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';

describe('inputs from the UI are checked where they arrive (FanoutHost: Electron main and the web host)', () => {
  let dir: string;
  let catalog: string;
  let opened: string[];
  let host: FanoutHost;
  const summaryOf = (s: GutenbergJobSpec): JobSummary => ({
    jobId: 'x', kind: 'gutenberg', strategy: s.strategy, workers: s.workers, status: 'succeeded', itemsTotal: 0, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0,
    bytes: 0, wallMs: 1, throughput: 0, workerBusy: [], failures: [], outDir: s.outDir, startedAt: new Date().toISOString(),
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-ipc-'));
    catalog = join(dir, 'cat.csv');
    await writeFile(catalog, 'author,FileNumber,Title\nAusten,1342,Pride and Prejudice\nAnon,5,Five\nX,y,bad row\n');
    opened = [];
    host = new FanoutHost({
      host: 'web', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir,
      // A "job" that only makes its output folder, so it lands in the history with it.
      runners: { gutenberg: async (s) => (await mkdir(s.outDir, { recursive: true }), summaryOf(s)) },
      readCatalog: defaultCatalogReader,
      openPath: async (p) => void opened.push(p),
    });
  });
  afterEach(async () => {
    await host.shutdown();
    await rm(dir, { recursive: true, force: true });
  });
  const spec = (over: Record<string, unknown> = {}) => ({ kind: 'gutenberg', catalog, mirror: 'http://127.0.0.1:9/', outDir: join(dir, 'out'), ...over });
  const check = async (s: unknown) => ((await host.handle('job:check', { spec: s })) as { value: JobCheck }).value;

  it('refuses relative paths in job specs, catalog loads and folder opening (they would resolve against the host\'s folder)', () => {
    const relative = () => parseCommand('job:start', { spec: spec({ catalog: 'cat.csv', outDir: 'out', mirrorTls: { caFile: 'ca.pem' } }) });
    for (const field of ['catalog', 'outDir', 'mirrorTls.caFile']) expect(relative).toThrow(`spec.${field}: is not an absolute path; give the full path (e.g. /home/me/fanout)`);
    expect(() => parseCommand('job:start', { spec: { kind: 'mail', account: { host: 'h', user: 'u', auth: { method: 'password', password: 'p' } }, outDir: '~/mail' } })).toThrow(/spec\.outDir: is not an absolute path/);
    expect(() => parseCommand('catalog:load', { path: '../cat.csv' })).toThrow(/path: is not an absolute path/);
    expect(() => parseCommand('shell:open-path', { path: 'out' })).toThrow(/path: is not an absolute path/);
    expect(() => parseCommand('lab:run', { spec: spec({ outDir: 'x' }), strategies: ['queue'], workerCounts: [1], sampleSize: 1, repeats: 1, compareScrubExecutors: false })).toThrow(/spec\.outDir/);
  });

  it('job:check answers every problem with its field, as the CLI words it, and writes nothing', async () => {
    expect(await check(spec({ catalog: 'rel.csv', workers: 0 }))).toEqual({
      problems: [
        { field: 'catalog', value: 'rel.csv', message: 'is not an absolute path; give the full path (e.g. /home/me/fanout)' },
        { field: 'workers', value: '0', message: 'is too small; give a number of at least 1' },
      ],
      warnings: [],
    });
    expect((await check(spec({ catalog: join(dir, 'nope.csv') }))).problems).toEqual([{ field: 'catalog', value: join(dir, 'nope.csv'), message: 'no such file; check the path' }]);
    await writeFile(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    expect((await check(spec({ catalog: join(dir, 'passwd') }))).problems[0]).toMatchObject({ field: 'catalog', message: expect.stringMatching(/^not a catalog/) });
    expect((await check(spec({ outDir: catalog }))).problems).toEqual([{ field: 'outDir', value: catalog, message: 'is a file, not a folder; give a folder' }]);
    expect((await check(spec({ mirrorTls: { caFile: join(dir, 'ca.pem') } }))).problems).toEqual([{ field: 'mirrorTls.caFile', value: join(dir, 'ca.pem'), message: 'no such file; check the path' }]);
    expect((await check(spec({ mirror: 'https://u:pw@m/' }))).problems).toEqual([{ field: 'mirror', value: 'https://u:***@m/', message: expect.stringMatching(/^carries a user name or password/) }]);
    expect((await check(spec({ selection: { ids: [{ from: 7, to: 7 }] } }))).problems).toEqual([
      { field: 'selection.ids', value: '7', message: 'none of these ebook numbers is in the catalog (it lists 2 books, numbered 5 to 1342); check the numbers' },
    ]);
    const good = await check(spec({ selection: { ids: [{ from: 5, to: 5 }] } }));
    expect(good).toEqual({ problems: [], warnings: [{ field: 'catalog', value: catalog, message: '1 bad row skipped (line 4: FileNumber "y" is not an ebook number)' }], selected: 1 });
    const mail = { kind: 'mail', account: { host: 'imap://h', user: 'u', auth: { method: 'password', password: 'p' } }, outDir: catalog };
    // Every problem at once: the schema's (the host name) and the folder's.
    expect((await check(mail)).problems).toEqual([
      { field: 'account.host', value: 'imap://h', message: expect.stringMatching(/^is a URL/) },
      { field: 'outDir', value: catalog, message: 'is a file, not a folder; give a folder' },
    ]);
    expect((await check({ ...mail, account: { ...mail.account, host: 'h' } })).problems).toEqual([{ field: 'outDir', value: catalog, message: 'is a file, not a folder; give a folder' }]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('job:start and lab:run refuse what job:check finds, before anything runs', async () => {
    const r = await host.handle('job:start', { spec: spec({ catalog: join(dir, 'nope.csv'), mirrorTls: { caFile: join(dir, 'ca.pem') } }) });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: `Invalid input: mirrorTls.caFile ${join(dir, 'ca.pem')}: no such file; check the path; catalog ${join(dir, 'nope.csv')}: no such file; check the path` } });
    const lab = await host.handle('lab:run', { spec: spec({ selection: { author: 'nobody' } }), strategies: ['queue'], workerCounts: [1], sampleSize: 1, repeats: 1, compareScrubExecutors: false });
    expect(lab).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining("selection.author nobody: matches none of the catalog's 2 books") } });
    expect(host.jobs.active()).toEqual([]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('catalog:load refuses a missing file, a folder and a file that is not a catalog', async () => {
    expect(await host.handle('catalog:load', { path: join(dir, 'nope.csv') })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: `${join(dir, 'nope.csv')}: no such file; check the path` } });
    expect(await host.handle('catalog:load', { path: dir })).toMatchObject({ ok: false, error: { message: `${dir}: is a folder, not a file; give the path of a file` } });
    await writeFile(join(dir, 'empty.csv'), '\n');
    expect(await host.handle('catalog:load', { path: join(dir, 'empty.csv') })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringMatching(/^not a catalog: the file is empty/) } });
    expect(await host.handle('catalog:load', { path: catalog })).toMatchObject({ ok: true, value: { rows: 2, badRows: 1 } });
  });

  it('shell:open-path opens only the output folder of a job in the history', async () => {
    expect(await host.handle('shell:open-path', { path: '/etc' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: '/etc is not the output folder of a job Fanout ran; only those can be opened' } });
    const started = (await host.handle('job:start', { spec: spec() })) as { value: { jobId: string } };
    await host.jobs.wait(started.value.jobId);
    expect(await host.handle('shell:open-path', { path: `${join(dir, 'out')}/` })).toEqual({ ok: true, value: null });
    await rm(join(dir, 'out'), { recursive: true });
    expect(await host.handle('shell:open-path', { path: join(dir, 'out') })).toMatchObject({ ok: false, error: { message: `${join(dir, 'out')} no longer exists` } });
    expect(opened).toEqual([join(dir, 'out')]);
  });
});
