/**
 * s17 (HE's finding 5, sibling): a data-folder JSON file that cannot be read *now* (this process at its
 * open-files limit, EMFILE; ENFILE; ENOMEM: the desktop host runs every job in one process) is not
 * damaged. readDataJson throws OUT_OF_RESOURCES; nothing is set aside and nothing written over it, and
 * the next read, once files are free again, reads it. (It was "damaged": the next save renamed the
 * user's good settings/hosts file aside as .damaged-<time> and started a new one.) The EMFILE is made
 * by a mocked readFile (node:fs/promises), on and off at steps the test chooses: no real limit, no
 * timing; the test reads with node:fs.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

const limit = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  const readFileMocked = ((path: Parameters<typeof orig.readFile>[0], ...rest: unknown[]) => {
    if (limit.on && String(path).endsWith('.json')) {
      return Promise.reject(Object.assign(new Error(`EMFILE: too many open files, open '${String(path)}'`), { code: 'EMFILE', errno: -24, syscall: 'open', path: String(path) }));
    }
    return (orig.readFile as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof orig.readFile;
  return { ...orig, default: { ...orig, readFile: readFileMocked }, readFile: readFileMocked };
});

const { readDataJson } = await import('../../../electron/engine/jobs/data-dir');
const { defaultSettings, SettingsStore } = await import('../../../electron/engine/jobs/settings-store');
const { HostMemory } = await import('../../../electron/engine/jobs/host-memory');

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-data-emfile-'));
  limit.on = false;
});
afterEach(async () => {
  limit.on = false;
  await rm(dir, { recursive: true, force: true });
});

it('readDataJson: EMFILE is OUT_OF_RESOURCES (not readable now), not damage', async () => {
  await writeFile(join(dir, 'history.json'), '[]');
  limit.on = true;
  await expect(readDataJson(join(dir, 'history.json'))).rejects.toMatchObject({ code: 'OUT_OF_RESOURCES', message: expect.stringContaining('history.json') });
});

it('settings.json read at EMFILE: the save is refused, the file is not set aside; once files are free, it is read and saved with what it held', async () => {
  const file = join(dir, 'settings.json');
  await writeFile(file, JSON.stringify({ lastCatalog: '/kept/catalog.csv', workers: 7 }));
  const store = new SettingsStore(dir, defaultSettings(join(dir, 'out')));
  limit.on = true;
  await expect(store.get()).rejects.toMatchObject({ code: 'OUT_OF_RESOURCES' });
  await expect(store.set({ workers: 3 })).rejects.toMatchObject({ code: 'OUT_OF_RESOURCES' });
  expect(await readdir(dir)).toEqual(['settings.json']); // was: settings.json.damaged-<time> beside a new one
  expect(store.damage).toBeNull();
  limit.on = false;
  await store.set({ workers: 5 });
  expect(await readdir(dir)).toEqual(['settings.json']);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ lastCatalog: '/kept/catalog.csv', workers: 5 });
});

it('hosts.json read at EMFILE: nothing remembered is read, nothing written over it; the next save, files free, keeps what it held', async () => {
  const file = join(dir, 'hosts.json');
  const since = new Date().toISOString();
  await writeFile(file, JSON.stringify({ lockStep: { 'old.example': { reason: 'kept', since } }, connectionLimits: {}, autoKnees: {} }));
  const hosts = new HostMemory(dir);
  limit.on = true;
  expect(await hosts.isLockStep('old.example')).toBe(false);
  await hosts.rememberLockStep('first.example', 'at the limit');
  expect(await readdir(dir)).toEqual(['hosts.json']);
  expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { lockStep: object }).lockStep)).toEqual(['old.example']);
  limit.on = false;
  expect(await hosts.isLockStep('old.example')).toBe(true);
  await hosts.rememberLockStep('second.example', 'files free');
  expect(await readdir(dir)).toEqual(['hosts.json']);
  expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { lockStep: object }).lockStep).sort()).toEqual(['old.example', 'second.example']);
});
