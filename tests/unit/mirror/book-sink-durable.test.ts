import { existsSync, readlinkSync } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BookSink } from '../../../electron/engine/mirror/book-sink';
import type { WorkerProgress } from '../../../electron/engine/core/worker-context';
import { buildZip } from '../../harness';

/**
 * What a power cut could lose: a rename is durable only when the file's bytes were fsynced before
 * it and its folder after it. Every fsync is recorded with the path behind its descriptor
 * (/proc/self/fd, Linux) and whether the final file existed at that moment.
 */
interface SyncEvent {
  path: string;
  finalExisted: boolean;
  size: number;
}

const progress: WorkerProgress = { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
let dir: string;
let events: SyncEvent[];
let finalPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-sink-'));
  events = [];
  const probe = await open(join(dir, '.probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: (this: { fd: number }) => Promise<void>; stat: () => Promise<{ size: number }> };
  await probe.close();
  await rm(join(dir, '.probe'));
  const realSync = proto.sync;
  vi.spyOn(proto, 'sync').mockImplementation(async function (this: { fd: number; stat: () => Promise<{ size: number }> }) {
    const path = readlinkSync(`/proc/self/fd/${this.fd}`);
    const size = (await this.stat()).size;
    events.push({ path, finalExisted: existsSync(finalPath), size });
    return realSync.call(this);
  });
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

describe.runIf(process.platform === 'linux')('BookSink: the finished text is durable', () => {
  const text = Buffer.from('The text of book 418.\n'.repeat(500));

  it.each([
    ['a text', false, '418-0.txt', text],
    ['a zip', true, '418-8.zip', buildZip([{ name: '418-0.txt', data: text }])],
  ])('%s: its bytes are fsynced before the rename and its folder after', async (_label, fromZip, remoteName, bytes) => {
    finalPath = join(dir, '418-0.txt');
    await receive(fromZip, remoteName, bytes);
    expect(await readFile(finalPath)).toEqual(text);
    expect(await readdir(dir)).toEqual(['418-0.txt']);
    const fileSync = events.findIndex((e) => e.path !== dir && !e.finalExisted && e.size === text.length);
    const dirSync = events.findIndex((e) => e.path === dir && e.finalExisted);
    expect(fileSync, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
    expect(dirSync, JSON.stringify(events)).toBeGreaterThan(fileSync);
  });
});
