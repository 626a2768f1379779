import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';
import { FanoutError } from '../../../electron/engine/core/fanout-error';

const meta = (uid: number, uidValidity = '5') => ({ uid, uidValidity, internalDate: new Date(Date.UTC(2020, 0, uid)), flags: [], messageId: `<${uid}@x>`, subject: null, from: null });

/**
 * verify mail over an archive damaged in ways other than a file's bytes: what it could not check is
 * said (a problem, or an error when nothing at all can be checked), never an OK over it, never a crash.
 */
describe('verifyMailLocal: an archive damaged around its files', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fanout-verify-damage-'));
    writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX', Old: 'Old' } }));
    for (const path of ['INBOX', 'Old']) {
      const store = await FolderStore.open(join(root, path), path);
      store.generation('5');
      for (const uid of [1, 2, 3]) await store.writeMessage(Buffer.from(`Subject: ${path} ${uid}\r\n\r\nbody\r\n`), meta(uid));
      store.state.synced = { uidValidity: '5', uidNext: 4, highestModseq: null, messages: 3 };
      await store.saveState();
      await store.close();
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const cannotVerify = async (r: string) => {
    const err = await verifyMailLocal(r).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FanoutError);
    return err as FanoutError;
  };

  it('folders.json, every state.json and index.jsonl gone: no record to check the files against (not OK); with no file either, cannot verify at all', async () => {
    for (const d of ['INBOX', 'Old']) {
      unlinkSync(join(root, d, 'state.json'));
      unlinkSync(join(root, d, 'index.jsonl'));
    }
    unlinkSync(join(root, 'folders.json'));
    const r = await verifyMailLocal(root);
    expect(r.ok).toBe(false);
    expect(r.missing.map((p) => p.file)).toEqual(['index.jsonl', 'index.jsonl']);
    expect(r.missing[0]!.detail).toMatch(/no record to check the files against/);
    expect(r.extra).toHaveLength(6);
    for (const d of ['INBOX', 'Old']) rmSync(join(root, d), { recursive: true });
    const err = await cannotVerify(root);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/nothing to check it against/);
  });

  it('the account folder gone, or empty: cannot verify', async () => {
    expect((await cannotVerify(join(root, 'nope'))).message).toMatch(/nothing to check/i);
    const empty = mkdtempSync(join(tmpdir(), 'fanout-verify-empty-'));
    try {
      expect((await cannotVerify(empty)).message).toMatch(/nothing to check/i);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('folders.json and every state.json gone, indexes kept: each directory is checked against its index, under its directory name, and said so', async () => {
    for (const d of ['INBOX', 'Old']) unlinkSync(join(root, d, 'state.json'));
    unlinkSync(join(root, 'folders.json'));
    truncateSync(join(root, 'Old', '2.eml'), 3);
    const r = await verifyMailLocal(root);
    expect(r.checked.files).toBe(6);
    expect(r.corrupt.map((p) => [p.file, p.uid])).toEqual([['2.eml', 2]]);
    expect(r.corrupt[0]!.where).toMatch(/Old/);
    expect(r.ok).toBe(false);
  });

  it('a folder\'s directory gone: missing (its archive is lost), not OK', async () => {
    rmSync(join(root, 'Old'), { recursive: true });
    const r = await verifyMailLocal(root);
    expect(r.ok).toBe(false);
    expect(r.missing.map((p) => p.where)).toEqual(['Old']);
    expect(r.missing[0]!.detail).toMatch(/directory/);
  });

  it('index.jsonl deleted, files kept: the index is missing, the files extra', async () => {
    unlinkSync(join(root, 'Old', 'index.jsonl'));
    const r = await verifyMailLocal(root);
    expect(r.missing.map((p) => [p.where, p.file])).toEqual([['Old', 'index.jsonl']]);
    expect(r.extra.map((p) => p.file)).toEqual(['1.eml', '2.eml', '3.eml']);
  });

  it('index.jsonl replaced by a directory: corrupt, no crash', async () => {
    unlinkSync(join(root, 'Old', 'index.jsonl'));
    mkdirSync(join(root, 'Old', 'index.jsonl'));
    const r = await verifyMailLocal(root);
    expect(r.corrupt.map((p) => [p.where, p.file])).toEqual([['Old', 'index.jsonl']]);
    expect(r.corrupt[0]!.detail).toMatch(/directory/);
  });

  it('an .eml replaced by a directory: corrupt, no crash', async () => {
    unlinkSync(join(root, 'INBOX', '2.eml'));
    mkdirSync(join(root, 'INBOX', '2.eml'));
    const r = await verifyMailLocal(root);
    expect(r.corrupt.map((p) => [p.where, p.uid])).toEqual([['INBOX', 2]]);
    expect(r.corrupt[0]!.detail).toMatch(/directory/);
  });

  it('files of an older UIDVALIDITY generation are checked: a torn one is corrupt; a generation directory whose lines were lost shows its files as extra', async () => {
    const store = await FolderStore.open(join(root, 'INBOX'), 'INBOX');
    store.generation('9');
    for (const uid of [1, 2]) await store.writeMessage(Buffer.from(`Subject: new ${uid}\r\n\r\nbody\r\n`), meta(uid, '9'));
    await store.saveState();
    await store.close();
    expect(readFileSync(join(root, 'INBOX', 'state.json'), 'utf8')).toMatch(/uidvalidity-9/);
    truncateSync(join(root, 'INBOX', '3.eml'), 4);
    let r = await verifyMailLocal(root);
    expect(r.checked.files).toBe(8);
    expect(r.corrupt.map((p) => [p.file, p.uid])).toEqual([['3.eml', 3]]);
    // The newer generation's lines lost: its files are found in its directory (from state.json).
    const lines = readFileSync(join(root, 'INBOX', 'index.jsonl'), 'utf8').split('\n').filter((l) => l && !l.includes('"uidValidity":"9"'));
    writeFileSync(join(root, 'INBOX', 'index.jsonl'), `${lines.join('\n')}\n`);
    r = await verifyMailLocal(root);
    expect(r.extra.map((p) => p.file)).toEqual(['uidvalidity-9/1.eml', 'uidvalidity-9/2.eml']);
  });
});

describe('verifyMailLocal: state.json or folders.json replaced by a directory', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fanout-verify-damage2-'));
    writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX' } }));
    const store = await FolderStore.open(join(root, 'INBOX'), 'INBOX');
    store.generation('5');
    for (const uid of [1, 2]) await store.writeMessage(Buffer.from(`Subject: ${uid}\r\n\r\nbody\r\n`), meta(uid));
    await store.saveState();
    await store.close();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('state.json: corrupt (fanout mail stops at it), the files still checked', async () => {
    unlinkSync(join(root, 'INBOX', 'state.json'));
    mkdirSync(join(root, 'INBOX', 'state.json'));
    const r = await verifyMailLocal(root);
    expect(r.corrupt.map((p) => [p.where, p.file])).toEqual([['INBOX', 'state.json']]);
    expect(r.corrupt[0]!.detail).toMatch(/a directory, not a file/);
    expect(r.checked.files).toBe(2);
  });

  it('folders.json: corrupt, the folders read back from their state.json and checked', async () => {
    unlinkSync(join(root, 'folders.json'));
    mkdirSync(join(root, 'folders.json'));
    const r = await verifyMailLocal(root);
    expect(r.corrupt.map((p) => p.file)).toEqual(['folders.json']);
    expect(r.corrupt[0]!.detail).toMatch(/a directory, not a file/);
    expect(r.checked.files).toBe(2);
  });
});
