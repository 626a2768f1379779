/**
 * HE s15: two saves at once with different fields (the Gutenberg form's debounced save and the
 * mail account's save, or two pages of the web host) each start from the same cached settings and
 * write the whole file: the one that lands last drops the other's change, on disk and in the cache.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SettingsStore, defaultSettings } from '../../../electron/engine/jobs/settings-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-he-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('two saves at once of different fields: both are on disk and in what get() answers', async () => {
  const store = new SettingsStore(dir, defaultSettings('/default-out'));
  await store.get();
  await Promise.all([
    store.set({ workers: 7 }),
    store.set({ mail: { host: 'imap.example.org', user: 'me', tls: 'implicit', rememberPassword: false } }),
  ]);
  const onDisk = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'));
  expect(onDisk).toMatchObject({ workers: 7, mail: { host: 'imap.example.org' } });
  expect(await store.get()).toMatchObject({ workers: 7, mail: { host: 'imap.example.org' } });
  const fresh = new SettingsStore(dir, defaultSettings('/default-out'));
  expect(await fresh.get()).toMatchObject({ workers: 7, mail: { host: 'imap.example.org' } });
});
