import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FanoutHost, type FanoutHostOptions } from '../../../electron/engine/jobs/fanout-host';
import type { Settings } from '../../../shared/ipc';
import { mailSettingsOf } from '../../../renderer/src/lib/mail-settings';

const account: Settings['mail'] = { host: 'imap.example.org', port: 143, user: 'ann', tls: 'starttls', rememberPassword: true };

describe('remembered mail account', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-mailset-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const makeHost = (extra: Partial<FanoutHostOptions> = {}) =>
    new FanoutHost({
      host: 'web', version: 't', dataDir: dir, defaultOutDir: dir,
      runners: { gutenberg: async () => { throw new Error('unused'); } },
      readCatalog: async function* () {},
      ...extra,
    });

  it('keeps host, port, TLS mode and user across restarts, never a password', async () => {
    expect(await makeHost().handle('settings:set', { mail: account })).toMatchObject({ ok: true, value: { mail: account } });
    expect(await makeHost().handle('settings:get', {})).toMatchObject({ ok: true, value: { mail: account, workers: 4 } });
    // The schema has no place for a password: it is refused, not stored.
    const r = await makeHost().handle('settings:set', { mail: { ...account, password: 'hunter2' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('password') } });
    const file = await readFile(join(dir, 'settings.json'), 'utf8');
    expect(file).not.toMatch(/password"|hunter2/);
  });

  it('remembers the password only through the host secret store, and forgets it', async () => {
    const vault = new Map<string, string>();
    const host = makeHost({
      secrets: { save: async (k, v) => void vault.set(k, v), load: async (k) => vault.get(k) ?? null, forget: async (k) => void vault.delete(k) },
    });
    expect((await host.handle('app:info', {})) as { value: { canStoreSecrets: boolean } }).toMatchObject({ value: { canStoreSecrets: true } });
    await host.handle('secrets:save-mail-password', { host: 'h', user: 'u', password: 'pw' });
    expect(await host.handle('secrets:load-mail-password', { host: 'h', user: 'u' })).toEqual({ ok: true, value: 'pw' });
    expect(await host.handle('secrets:forget-mail-password', { host: 'h', user: 'u' })).toEqual({ ok: true, value: null });
    expect(await host.handle('secrets:load-mail-password', { host: 'h', user: 'u' })).toEqual({ ok: true, value: null });
    // The web host has no secret store: nothing is saved, forgetting is a no-op.
    const web = makeHost();
    expect(await web.handle('secrets:save-mail-password', { host: 'h', user: 'u', password: 'pw' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('not available') } });
    expect(await web.handle('secrets:forget-mail-password', { host: 'h', user: 'u' })).toEqual({ ok: true, value: null });
  });

  it('the renderer keeps only the account fields (never a password)', () => {
    expect(mailSettingsOf({ host: ' imap.example.org ', user: 'ann ', tls: 'none', rememberPassword: false, password: 'hunter2' })).toEqual({ host: 'imap.example.org', user: 'ann', tls: 'none', rememberPassword: false });
    expect(mailSettingsOf(account)).toEqual(account);
  });
});
