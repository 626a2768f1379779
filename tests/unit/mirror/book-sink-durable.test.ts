import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BookSink } from '../../../electron/engine/mirror/book-sink';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';
import { buildZip, durableRename, recordFsyncs, type SyncEvent } from '../../harness';

const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let dir: string;
let events: SyncEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-sink-'));
  events = await recordFsyncs(dir, () => join(dir, '418-0.txt'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function receive(fromZip: boolean, remoteName: string, bytes: Buffer): Promise<void> {
  const sink = await BookSink.open({ rawDir: dir, remoteName, textName: '418-0.txt', fromZip, progress, context: { ebook: 418 } });
  sink.begin();
  sink.input.end(bytes);
  await once(sink.input, 'finish');
  await sink.finish();
}

// A power cut must not leave the final name on a short file: bytes fsynced before the rename, folder after.
describe.runIf(process.platform === 'linux')('BookSink: the finished text is durable', () => {
  const text = Buffer.from('The text of book 418.\n'.repeat(500));

  it.each([
    ['a text', false, '418-0.txt', text],
    ['a zip', true, '418-8.zip', buildZip([{ name: '418-0.txt', data: text }])],
  ])('%s: its bytes are fsynced before the rename and its folder after', async (_label, fromZip, remoteName, bytes) => {
    await receive(fromZip, remoteName, bytes);
    expect(await readFile(join(dir, '418-0.txt'))).toEqual(text);
    expect(await readdir(dir)).toEqual(['418-0.txt']);
    const { fileSync, dirSync } = durableRename(events, dir, (e) => e.size === text.length);
    expect(fileSync, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
    expect(dirSync, JSON.stringify(events)).toBeGreaterThan(fileSync);
  });
});
