/**
 * The normal run on the Gutenberg lab's speedup chart: placed by its throughput over the lab's
 * one-worker throughput, except when it ran under another bandwidth cap than the lab's cells (its
 * ratio then says nothing of its worker count: seen walking the UI, 0.06× for a 256 KiB/s run
 * against an uncapped lab).
 */
import { describe, expect, it } from 'vitest';
import { placeNormalRun } from '../../../renderer/src/lib/lab-results';

const oneWorker = { bytes: 1_000_000, ms: 1000 }; // 1 MB/s
const run = { workers: 4, bytes: 3_000_000, wallMs: 1000, label: 'last run (4 workers)' };

describe('placeNormalRun', () => {
  it('places a run under the lab\'s own cap (or none for both)', () => {
    expect(placeNormalRun({ ...run, rateCap: null }, oneWorker, null)).toEqual({ point: { workers: 4, speedup: 3, label: 'last run (4 workers): 3.00×' }, note: null });
    expect(placeNormalRun({ ...run, rateCap: 262_144 }, oneWorker, 262_144).point?.speedup).toBe(3);
  });

  it('does not place a run under another cap than the lab\'s, and says why', () => {
    const capped = placeNormalRun({ ...run, rateCap: 262_144 }, oneWorker, null);
    expect(capped.point).toBeNull();
    expect(capped.note).toBe('The last run (4 workers) ran under a cap of 256 KB/s, the lab\'s cells under no cap: its speed is not comparable, so it is not placed on the curves.');
    expect(placeNormalRun({ ...run, rateCap: null }, oneWorker, 262_144).note).toContain('ran under no cap, the lab\'s cells under a cap of 256 KB/s');
  });

  it('a run whose cap is not known (from history) is placed as before; nothing without a one-worker cell', () => {
    expect(placeNormalRun(run, oneWorker, 262_144).point?.speedup).toBe(3);
    expect(placeNormalRun(run, null, null)).toEqual({ point: null, note: null });
    expect(placeNormalRun(null, oneWorker, null)).toEqual({ point: null, note: null });
  });

  it('does not place a run from another mirror than the lab\'s cells (an FTP run on an HTTP lab\'s curves read 4.78× at 4 workers), and says why', () => {
    const other = placeNormalRun({ ...run, rateCap: null, mirror: 'ftp://127.0.0.1:2121' }, oneWorker, null, 'http://127.0.0.1:8080/');
    expect(other.point).toBeNull();
    expect(other.note).toBe('The last run (4 workers) fetched from ftp://127.0.0.1:2121, the lab\'s cells from http://127.0.0.1:8080/: its speed is not comparable, so it is not placed on the curves.');
    // The same mirror written with or without its last slash is the same mirror.
    expect(placeNormalRun({ ...run, mirror: 'http://127.0.0.1:8080' }, oneWorker, null, 'http://127.0.0.1:8080/').point?.speedup).toBe(3);
    // Summaries and lab contexts keep a mirror redacted (no password): the run's own URL matches it, and a note never shows the password.
    expect(placeNormalRun({ ...run, mirror: 'ftp://me:secret@127.0.0.1:2121/' }, oneWorker, null, 'ftp://me:***@127.0.0.1:2121/').point?.speedup).toBe(3);
    expect(placeNormalRun({ ...run, mirror: 'ftp://me:secret@127.0.0.1:2121/' }, oneWorker, null, 'http://127.0.0.1:8080/').note).toContain('fetched from ftp://me:***@127.0.0.1:2121/');
    // Either side unknown (a history entry of an older host): placed as before.
    expect(placeNormalRun(run, oneWorker, null, 'http://127.0.0.1:8080/').point?.speedup).toBe(3);
    expect(placeNormalRun({ ...run, mirror: 'ftp://x/' }, oneWorker, null, undefined).point?.speedup).toBe(3);
  });
});
