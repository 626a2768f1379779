import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FtpHostMemory } from '../../../electron/engine/jobs/ftp-host-memory';
import { ftpHostKey } from '../../../electron/engine/mirror/ftp-host-state';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-ftphosts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FtpHostMemory', () => {
  it('keys FTP mirrors by host and port; other protocols have no key', () => {
    expect(ftpHostKey('ftp://user:pw@Mirror.Example.org/pub/')).toBe('mirror.example.org:21');
    expect(ftpHostKey('ftps://127.0.0.1:2121/')).toBe('127.0.0.1:2121');
    expect(ftpHostKey('https://mirror.example.org/')).toBeNull();
    expect(ftpHostKey('not a url')).toBeNull();
  });

  it('keeps verdicts given at once, across instances; forgets old ones; survives a damaged file', async () => {
    const a = new FtpHostMemory(join(dir, 'data'));
    await Promise.all([a.rememberLockStep('h1:21', '500 Unknown command'), a.rememberLockStep('h2:21', 'replies out of step')]);
    const b = new FtpHostMemory(join(dir, 'data'));
    expect(await b.isLockStep('h1:21')).toBe(true);
    expect(await b.isLockStep('h2:21')).toBe(true);
    expect(await b.isLockStep('h3:21')).toBe(false);

    const stored = JSON.parse(await readFile(b.file, 'utf8')) as { lockStep: Record<string, { since: string }> };
    stored.lockStep['h1:21']!.since = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await writeFile(b.file, JSON.stringify(stored));
    expect(await new FtpHostMemory(join(dir, 'data')).isLockStep('h1:21')).toBe(false);

    await writeFile(b.file, '{"lockStep": {"h1:21": ');
    const damaged = new FtpHostMemory(join(dir, 'data'));
    expect(await damaged.isLockStep('h1:21')).toBe(false);
    await damaged.rememberLockStep('h4:21', 'x');
    expect(await new FtpHostMemory(join(dir, 'data')).isLockStep('h4:21')).toBe(true);
  });

  it('a folder that cannot be written is not an error (the next job probes again)', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const m = new FtpHostMemory(join(dir, 'file', 'data'));
    await expect(m.rememberLockStep('h:21', 'x')).resolves.toBeUndefined();
    expect(await m.isLockStep('h:21')).toBe(true); // for this host process, still known
  });
});
