import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';
import { ftpHostKey } from '../../../electron/engine/mirror/ftp-host-state';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-hosts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HostMemory', () => {
  it('keys FTP mirrors by host and port; other protocols have no key', () => {
    expect(ftpHostKey('ftp://user:pw@Mirror.Example.org/pub/')).toBe('mirror.example.org:21');
    expect(ftpHostKey('ftps://127.0.0.1:2121/')).toBe('127.0.0.1:2121');
    expect(ftpHostKey('https://mirror.example.org/')).toBeNull();
    expect(ftpHostKey('not a url')).toBeNull();
  });

  it('keeps verdicts given at once, across instances; forgets old ones; survives a damaged file', async () => {
    const a = new HostMemory(join(dir, 'data'));
    await Promise.all([a.rememberLockStep('h1:21', '500 Unknown command'), a.rememberLockStep('h2:21', 'replies out of step')]);
    const b = new HostMemory(join(dir, 'data'));
    expect(await b.isLockStep('h1:21')).toBe(true);
    expect(await b.isLockStep('h2:21')).toBe(true);
    expect(await b.isLockStep('h3:21')).toBe(false);

    const stored = JSON.parse(await readFile(b.file, 'utf8')) as { lockStep: Record<string, { since: string }> };
    stored.lockStep['h1:21']!.since = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await writeFile(b.file, JSON.stringify(stored));
    expect(await new HostMemory(join(dir, 'data')).isLockStep('h1:21')).toBe(false);

    await writeFile(b.file, '{"lockStep": {"h1:21": ');
    const damaged = new HostMemory(join(dir, 'data'));
    expect(await damaged.isLockStep('h1:21')).toBe(false);
    await damaged.rememberLockStep('h4:21', 'x');
    expect(await new HostMemory(join(dir, 'data')).isLockStep('h4:21')).toBe(true);
  });

  it('a folder that cannot be written is not an error (the next job probes again)', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const m = new HostMemory(join(dir, 'file', 'data'));
    await expect(m.rememberLockStep('h:21', 'x')).resolves.toBeUndefined();
    expect(await m.isLockStep('h:21')).toBe(true); // for this host process, still known
  });

  it('reads the ftp-hosts.json of earlier versions until hosts.json exists, and keeps its verdicts on the next save', async () => {
    const data = join(dir, 'data');
    const m = new HostMemory(data);
    await mkdir(data, { recursive: true });
    await writeFile(m.legacyFile, JSON.stringify({ lockStep: { 'old:21': { reason: '500 Unknown command', since: new Date().toISOString() } } }));
    expect(await new HostMemory(data).isLockStep('old:21')).toBe(true);
    await m.rememberConnectionLimit('ftp://old:21', 3, '421 too many connections');
    const stored = JSON.parse(await readFile(m.file, 'utf8')) as { lockStep: object; connectionLimits: object };
    expect(Object.keys(stored.lockStep)).toEqual(['old:21']);
    expect(Object.keys(stored.connectionLimits)).toEqual(['ftp://old:21']);
  });

  it('keeps connection limits with when and why; forgets old ones, bad entries and forgotten ones', async () => {
    const data = join(dir, 'data');
    const before = Date.now();
    await new HostMemory(data).rememberConnectionLimit('ftp://h:21', 3, '421 There are too many connections from your internet address.');
    const learned = await new HostMemory(data).connectionLimit('ftp://h:21');
    expect(learned).toMatchObject({ limit: 3, reason: expect.stringMatching(/too many/) });
    expect(Date.parse(learned!.since)).toBeGreaterThanOrEqual(before - 1000);
    expect(await new HostMemory(data).connectionLimit('ftp://other:21')).toBeNull();

    const m = new HostMemory(data);
    const stored = JSON.parse(await readFile(m.file, 'utf8')) as { connectionLimits: Record<string, unknown> };
    stored.connectionLimits['ftp://old:21'] = { limit: 2, reason: 'x', since: new Date(Date.now() - 31 * 86_400_000).toISOString() };
    stored.connectionLimits['ftp://zero:21'] = { limit: 0, reason: 'x', since: new Date().toISOString() };
    stored.connectionLimits['ftp://frac:21'] = { limit: 2.5, reason: 'x', since: new Date().toISOString() };
    await writeFile(m.file, JSON.stringify(stored));
    const n = new HostMemory(data);
    expect(await n.connectionLimit('ftp://old:21')).toBeNull();
    expect(await n.connectionLimit('ftp://zero:21')).toBeNull();
    expect(await n.connectionLimit('ftp://frac:21')).toBeNull();
    await n.forgetConnectionLimit('ftp://h:21');
    expect(await new HostMemory(data).connectionLimit('ftp://h:21')).toBeNull();
  });
});
