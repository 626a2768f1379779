import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { MANIFEST_FILE, ManifestStore, readManifest } from '../../../electron/engine/gutenberg/manifest-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-manifest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (ebook: number, status: 'ok' | 'failed'): ManifestEntry => ({ ebook, status } as unknown as ManifestEntry);

describe('ManifestStore', () => {
  it('is append-only: a second store on the same folder never drops the first one’s lines', async () => {
    const a = await ManifestStore.open(dir);
    await a.append(entry(1, 'ok'));
    await a.append(entry(2, 'failed'));
    await a.close();
    const b = await ManifestStore.open(dir);
    expect(b.get(2)?.status).toBe('failed');
    await b.append(entry(2, 'ok'));
    await b.append(entry(3, 'ok'));
    await b.close();
    const lines = (await readFile(join(dir, MANIFEST_FILE), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(4);
    const latest = await readManifest(dir);
    expect([...latest.keys()].sort()).toEqual([1, 2, 3]);
    expect(latest.get(2)?.status).toBe('ok');
  });

  it('repairs a torn last line (a killed run) so the next line is whole', async () => {
    await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(entry(1, 'ok'))}\n{"ebook":2,"sta`);
    const store = await ManifestStore.open(dir);
    expect(store.size).toBe(1);
    await store.append(entry(3, 'ok'));
    await store.close();
    expect([...(await readManifest(dir)).keys()]).toEqual([1, 3]);
    expect((await readFile(join(dir, MANIFEST_FILE), 'utf8')).endsWith('"status":"ok"}\n')).toBe(true);
  });
});
