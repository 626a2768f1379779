/**
 * hosts.json (what jobs learnt about servers) damaged: still ignored (an optimisation), but no
 * longer overwritten by the next save: set aside first as hosts.json.damaged-<time>-<pid>.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-hosts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hosts.json damaged', () => {
  it('is ignored, then set aside (not overwritten) by the next save', async () => {
    const text = '{"lockStep":{"ftp.example:21":{"reason":"x","since":"2026-';
    await writeFile(join(dir, 'hosts.json'), text);
    const memory = new HostMemory(dir);
    expect(await memory.isLockStep('ftp.example:21')).toBe(false);
    await memory.rememberConnectionLimit('ftp://m:21', 3, 'refused a fourth');
    const kept = (await readdir(dir)).filter((f) => f.startsWith('hosts.json.damaged-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(text);
    expect(JSON.parse(await readFile(join(dir, 'hosts.json'), 'utf8')).connectionLimits['ftp://m:21']).toMatchObject({ limit: 3 });
    await memory.rememberConnectionLimit('ftp://n:21', 2, 'again');
    expect((await readdir(dir)).filter((f) => f.startsWith('hosts.json.damaged-'))).toHaveLength(1);
  });
});
