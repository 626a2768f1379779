import { describe, expect, it } from 'vitest';
import { ChunkBoard } from '../../../electron/engine/mail/chunk-board';
import type { FolderJob, MailChunk } from '../../../electron/engine/mail/plan-folder';

const job = (path: string) => ({ info: { path } }) as unknown as FolderJob;

function chunk(j: FolderJob, uids: number[]): MailChunk {
  return { job: j, uids: [...uids], first: uids[0]!, last: uids[uids.length - 1]!, bytes: uids.length * 10, large: false, done: false };
}

/** What a chunk describes, as one comparable value. */
const work = (c: MailChunk) => `${c.job.info.path}:${c.uids.join(',')}`;

describe('ChunkBoard', () => {
  const inbox = job('INBOX');
  const sent = job('Sent');

  it('a connection with INBOX selected that starts a chunk of Sent gets a waiting INBOX chunk; the Sent work still waits', () => {
    const board = new ChunkBoard();
    const s1 = chunk(sent, [1, 2]);
    const i1 = chunk(inbox, [5, 6]);
    const i2 = chunk(inbox, [7]);
    for (const c of [s1, i1, i2]) board.add(c);
    const before = [s1, i1, i2].map(work).sort();
    board.start([s1], 'INBOX');
    expect(work(s1)).toBe('INBOX:5,6');
    expect(work(i1)).toBe('Sent:1,2');
    // Same work in all, each once.
    expect([s1, i1, i2].map(work).sort()).toEqual(before);
    // The Sent work (now carried by i1) waits: a connection with Sent selected starting i2 takes it.
    board.start([i2], 'Sent');
    expect(work(i2)).toBe('Sent:1,2');
    expect(work(i1)).toBe('INBOX:7');
    expect([s1, i1, i2].map(work).sort()).toEqual(before);
  });

  it('a started chunk is never swapped: not when retried, not when another connection starts', () => {
    const board = new ChunkBoard();
    const s1 = chunk(sent, [1, 2]);
    const i1 = chunk(inbox, [5, 6]);
    board.add(s1);
    board.add(i1);
    board.start([s1], null);
    expect(work(s1)).toBe('Sent:1,2');
    // Retried on a connection that has INBOX selected now: it stays what it was.
    board.start([s1], 'INBOX');
    expect(work(s1)).toBe('Sent:1,2');
    expect(work(i1)).toBe('INBOX:5,6');
    // A connection with Sent selected starting i1: no Sent chunk waits (s1 is started).
    board.start([i1], 'Sent');
    expect(work(i1)).toBe('INBOX:5,6');
  });

  it('a batch swaps each chunk of another folder while chunks of the selected folder wait, none of its own', () => {
    const board = new ChunkBoard();
    const s1 = chunk(sent, [1]);
    const s2 = chunk(sent, [2]);
    const i1 = chunk(inbox, [5]);
    const i2 = chunk(inbox, [6]);
    for (const c of [s1, s2, i1, i2]) board.add(c);
    // A batch of s1 and i1 on a connection with Sent selected: i1 becomes the waiting Sent chunk s2.
    board.start([s1, i1], 'Sent');
    expect(work(s1)).toBe('Sent:1');
    expect(work(i1)).toBe('Sent:2');
    expect(work(s2)).toBe('INBOX:5');
    expect(work(i2)).toBe('INBOX:6');
  });
});
