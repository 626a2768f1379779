import { deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import type { TelemetryFrame } from '../../../shared/events';

/** Frames kept per recording at most; past this the resolution halves (spans are kept, merged). */
export const MAX_RECORDED_FRAMES = 1200;
/** Spans kept per recording at most. */
export const MAX_RECORDED_SPANS = 20_000;

// A frame is a few KB of JSON: a small window and hash table (~64 KB of zlib state, not 256 KB) lose little.
const PACK: ZlibOptions = { windowBits: 13, memLevel: 6 };

/**
 * Copied out to a buffer of its own size: zlib's result is a view of its 16 KB output chunk, and a
 * pooled copy would share an 8 KB slab with short-lived buffers; either kept alive 5-16 KB a frame.
 */
function pack(frame: TelemetryFrame): Buffer {
  const deflated = deflateRawSync(JSON.stringify(frame), PACK);
  const own = Buffer.allocUnsafeSlow(deflated.length);
  deflated.copy(own);
  return own;
}
const unpackJson = (packed: Buffer): string => inflateRawSync(packed, PACK).toString('utf8');

/**
 * A bounded recording of a run's frames, for replay in the live view.
 *
 * Each frame is kept as its JSON, deflated: a few hundred bytes outside the V8 heap instead of its
 * objects in it. At its caps (20,000 spans, each with its own label string, 1,200 frames of lane
 * snapshots) a recording held as objects was ~6 MB of live heap, most of what a 75,000-book job
 * held more than a 7,500-book one, and V8 sizes the old generation as a multiple of what is live
 * (docs/BENCHMARKS.md, "Session 5: scale memory"). The file written from it is the same JSON.
 */
export class FrameRecorder {
  readonly #packed: Buffer[] = [];
  #spanCount = 0;
  droppedSpans = 0;

  add(frame: TelemetryFrame): void {
    let spans = frame.spans;
    const room = MAX_RECORDED_SPANS - this.#spanCount;
    if (spans.length > room) {
      this.droppedSpans += spans.length - Math.max(0, room);
      spans = spans.slice(0, Math.max(0, room));
    }
    this.#spanCount += spans.length;
    this.#packed.push(pack(spans === frame.spans ? frame : { ...frame, spans }));
    if (this.#packed.length > MAX_RECORDED_FRAMES) this.#halve();
  }

  get frameCount(): number {
    return this.#packed.length;
  }

  /** Bytes of the packed frames. */
  get packedBytes(): number {
    return this.#packed.reduce((n, b) => n + b.length, 0);
  }

  /** Memory behind the packed frames (each buffer they sit in, once): what the recording holds outside the heap. */
  get bytesHeld(): number {
    let held = 0;
    for (const backing of new Set(this.#packed.map((b) => b.buffer))) held += backing.byteLength;
    return held;
  }

  /** Each recorded frame's JSON, in order, unpacked one at a time (what the history writes). */
  *frameJson(): Generator<string> {
    for (const packed of this.#packed) yield unpackJson(packed);
  }

  /** The recorded frames as objects (all unpacked at once: for tests and small recordings). */
  get frames(): TelemetryFrame[] {
    return Array.from(this.frameJson(), (json) => JSON.parse(json) as TelemetryFrame);
  }

  /** Pairs of frames become one: the later frame's counters, both frames' spans. */
  #halve(): void {
    const out: Buffer[] = [];
    for (let i = 0; i < this.#packed.length; i += 2) {
      const a = this.#packed[i]!;
      const b = this.#packed[i + 1];
      if (!b) {
        out.push(a);
        continue;
      }
      const first = JSON.parse(unpackJson(a)) as TelemetryFrame;
      const second = JSON.parse(unpackJson(b)) as TelemetryFrame;
      out.push(pack({ ...second, spans: first.spans.concat(second.spans) }));
    }
    this.#packed.length = 0;
    this.#packed.push(...out);
  }
}
