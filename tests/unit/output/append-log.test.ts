import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordFsyncs } from '../../harness/fsync-recorder';
import { AppendLog, repairTornTail } from '../../../electron/engine/output/append-log';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AppendLog', () => {
  it('a log it creates has its folder fsynced (the new name on disk, not only its lines); one that exists does not', async () => {
    const file = join(dir, 'log.jsonl');
    const events = await recordFsyncs(dir, () => file);
    try {
      const log = await AppendLog.open(file);
      await log.append('{"a":1}');
      await log.close();
      expect(events.map((e) => e.path)).toEqual([dir, file]);
      events.length = 0;
      const again = await AppendLog.open(file);
      await again.append('{"b":2}');
      await again.close();
      expect(events.map((e) => e.path)).toEqual([file]);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('cuts a torn last line at open, then appends whole lines after the last whole one', async () => {
    const file = join(dir, 'log.jsonl');
    await writeFile(file, '{"a":1}\n{"b":2}\n{"c":');
    const log = await AppendLog.open(file);
    await Promise.all([log.append('{"d":4}'), log.append('{"e":5}')]);
    await log.close();
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"b":2}\n{"d":4}\n{"e":5}\n');
    await expect(log.append('x')).rejects.toThrow(/closed/);
  });

  it('lines queued behind a write go out together, in order, each resolving once written', async () => {
    const file = join(dir, 'log.jsonl');
    const log = await AppendLog.open(file);
    const first = Array.from({ length: 50 }, (_, i) => log.append(`{"n":${i}}`));
    await first[0];
    // Appended while the group of the other 49 may be in flight: the next group, after it.
    const later = Array.from({ length: 50 }, (_, i) => log.append(`{"n":${50 + i}}`));
    await Promise.all([...first, ...later]);
    expect((await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await log.close();
  });

  it('two logs opened one after the other keep every line (never rewritten)', async () => {
    const file = join(dir, 'log.jsonl');
    const first = await AppendLog.open(file);
    await first.append('1');
    await first.close();
    const second = await AppendLog.open(file);
    await second.append('2');
    await second.close();
    expect(await readFile(file, 'utf8')).toBe('1\n2\n');
  });

  it('repairTornTail: whole, absent, all torn', async () => {
    const file = join(dir, 'x');
    expect(await repairTornTail(file)).toBe(false);
    await writeFile(file, 'a\n');
    expect(await repairTornTail(file)).toBe(false);
    await writeFile(file, 'no newline at all');
    expect(await repairTornTail(file)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('');
    await writeFile(file, `${'x'.repeat(100_000)}\n${'y'.repeat(70_000)}`);
    expect(await repairTornTail(file)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(`${'x'.repeat(100_000)}\n`);
  });
});
