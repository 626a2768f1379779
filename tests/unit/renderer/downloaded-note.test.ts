/**
 * What the live header says of the books downloaded but not done yet (a book is done once cleaned
 * and on disk). At a cold start the first books wait for the scrubber, which has cleaned none: the
 * header said "12 being cleaned" as if cleaning went on, and nothing said the run waited for it.
 */
import { describe, expect, it } from 'vitest';
import { cleaningWaitNote, downloadedNote } from '../../../renderer/src/lib/downloaded-note';

const h = (o: Partial<Parameters<typeof downloadedNote>[0]> = {}) => ({ downloaded: 12, itemsDone: 0, itemsFailed: 0, itemsCleaned: 0, status: 'running' as const, lanesWaitingToClean: 0, ...o });

describe('downloadedNote', () => {
  it('says the books wait for the scrubber while it has cleaned none yet (cold start)', () => {
    expect(downloadedNote(h())).toEqual({ waiting: 12, text: '12 downloaded, 12 waiting for the scrubber (none cleaned yet)' });
  });

  it('says they are being cleaned once the scrubber has cleaned some', () => {
    expect(downloadedNote(h({ itemsDone: 4, itemsCleaned: 4 }))).toEqual({ waiting: 8, text: '12 downloaded, 8 being cleaned' });
  });

  it('says how many workers wait for room in the scrub stage: what the run waits for', () => {
    expect(downloadedNote(h({ itemsDone: 4, itemsCleaned: 4, lanesWaitingToClean: 3 }))).toEqual({ waiting: 8, text: '12 downloaded, 8 being cleaned; 3 workers waiting to clean' });
    expect(downloadedNote(h({ lanesWaitingToClean: 1 }))!.text).toBe('12 downloaded, 12 waiting for the scrubber (none cleaned yet); 1 worker waiting to clean');
  });

  it('says only the count when nothing waits, and nothing once finished or unknown', () => {
    expect(downloadedNote(h({ itemsDone: 11, itemsFailed: 1, itemsCleaned: 11 }))).toEqual({ waiting: 0, text: '12 downloaded' });
    expect(downloadedNote(h({ status: 'finished' }))).toBeNull();
    expect(downloadedNote(h({ downloaded: null }))).toBeNull();
  });
});

describe('cleaningWaitNote (the finished header)', () => {
  it('says what the workers waited for the scrub stage in all, from a second on', () => {
    expect(cleaningWaitNote({ bound: 16, blockedMs: 11_900, peakInFlight: 16 })).toBe('Workers waited 11.9 s in all for room in the scrub stage (up to 16 books, its bound): cleaning was the bottleneck.');
    expect(cleaningWaitNote({ bound: null, blockedMs: 2_000, peakInFlight: 40 })).toBe('Workers waited 2.0 s in all for room in the scrub stage (up to 40 books): cleaning was the bottleneck.');
    expect(cleaningWaitNote({ bound: 16, blockedMs: 400, peakInFlight: 16 })).toBeNull();
    expect(cleaningWaitNote(undefined)).toBeNull();
  });
});
