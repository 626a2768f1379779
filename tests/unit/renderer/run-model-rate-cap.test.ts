import { describe, expect, it } from 'vitest';
import type { TelemetryFrame } from '../../../shared/events';
import { appendFrameToBuffers, emptyBuffers, initialHeader, reduceHeader } from '../../../renderer/src/stores/run-model';

const frame = (seq: number, rateCap?: number | null): TelemetryFrame => ({
  seq, t: seq * 100, itemsTotal: 10, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, bytesDone: 0, cleanBytes: 0, itemsCleaned: 0,
  bytesPerSec: 1000, itemsPerSec: 0, activeWorkers: 1, paused: false, workers: [], spans: [], ...(rateCap !== undefined ? { rateCap } : {}),
});

describe('the bandwidth cap in the live view model', () => {
  it('follows the frames: header shows the cap in force, the chart series keeps its history (null: none)', () => {
    const b = emptyBuffers();
    let h = initialHeader;
    for (const f of [frame(1), frame(2, 2_097_152), frame(3, 131_072), frame(4, null)]) {
      appendFrameToBuffers(b, f);
      h = reduceHeader(h, [{ kind: 'job:frame', jobId: 'j', frame: f }]);
      if (f.seq === 3) expect(h.rateCap).toBe(131_072);
    }
    expect(b.series.rateCap).toEqual([null, 2_097_152, 131_072, null]);
    expect(h.rateCap).toBeNull();
  });
});
