import type { TelemetryFrame } from '../../../shared/events';

/** Frames kept per recording at most; past this the resolution halves (spans are kept, merged). */
export const MAX_RECORDED_FRAMES = 1200;
/** Spans kept per recording at most. */
export const MAX_RECORDED_SPANS = 20_000;

/** The frames' JSON lives in slabs of this size (each its own mapping: freed whole, nothing left between them). */
const SLAB_BYTES = 256 * 1024;

/** Where a frame's JSON lives: its slab, offset and length in bytes. */
interface FrameRef {
  slab: Buffer;
  offset: number;
  length: number;
}

/**
 * Frames as UTF-8 JSON, one after the other in large slabs, outside the V8 heap, separated by commas:
 * the slabs' bytes in order are the recording's `frames` array, written to the file as they are.
 * Tried and dropped: a deflated buffer per frame (~4 times smaller), whose short-lived zlib output
 * buffers (16 KB a call) and ~1 KB long-lived buffers between them cost more than they saved
 * (bench:scale at 75,000 books: up to 20 MB of array buffers, RssAnon +20 MB).
 */
class FrameSlabs {
  readonly refs: FrameRef[] = [];
  readonly slabs: Buffer[] = [];
  /** Bytes used in each slab. */
  readonly #ends: number[] = [];

  push(frame: TelemetryFrame): void {
    const json = (this.refs.length > 0 ? ',' : '') + JSON.stringify(frame);
    const bytes = Buffer.byteLength(json);
    let last = this.slabs.length - 1;
    if (last < 0 || this.#ends[last]! + bytes > this.slabs[last]!.length) {
      this.slabs.push(Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, bytes)));
      this.#ends.push(0);
      last++;
    }
    const slab = this.slabs[last]!;
    const at = this.#ends[last]!;
    slab.write(json, at, 'utf8');
    this.#ends[last] = at + bytes;
    const comma = this.refs.length > 0 ? 1 : 0;
    this.refs.push({ slab, offset: at + comma, length: bytes - comma });
  }

  json(ref: FrameRef): string {
    return ref.slab.toString('utf8', ref.offset, ref.offset + ref.length);
  }

  /** The frames' JSON, comma-separated, as views of the slabs (no copy). */
  *body(): Generator<Uint8Array> {
    for (let i = 0; i < this.slabs.length; i++) yield this.slabs[i]!.subarray(0, this.#ends[i]);
  }
}

/**
 * A bounded recording of a run's frames, for replay in the live view.
 *
 * Each frame is kept as its JSON, in slabs outside the V8 heap (~4 KB a frame), not as objects in
 * it. At its caps (20,000 spans, each with its own label string, 1,200 frames of lane snapshots) a
 * recording held as objects was ~6 MB of live heap, most of what a 75,000-book job
 * held more than a 7,500-book one, and V8 sizes the old generation as a multiple of what is live
 * (docs/BENCHMARKS.md, "Session 5: scale memory"). The file written from it is the same JSON.
 */
export class FrameRecorder {
  #frames = new FrameSlabs();
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
    this.#frames.push(spans === frame.spans ? frame : { ...frame, spans });
    if (this.#frames.refs.length > MAX_RECORDED_FRAMES) this.#halve();
  }

  get frameCount(): number {
    return this.#frames.refs.length;
  }

  /** Bytes of the frames' JSON. */
  get jsonBytes(): number {
    return this.#frames.refs.reduce((n, r) => n + r.length, 0);
  }

  /** Memory the frames' JSON sits in: what the recording holds outside the heap. */
  get bytesHeld(): number {
    return this.#frames.slabs.reduce((n, s) => n + s.length, 0);
  }

  /** Each recorded frame's JSON, in order, decoded one at a time. */
  *frameJson(): Generator<string> {
    const frames = this.#frames;
    for (const ref of frames.refs) yield frames.json(ref);
  }

  /** The recorded frames' JSON, comma-separated, in pieces (views of the slabs): the file's `frames` array. */
  framesJson(): Iterable<Uint8Array> {
    return this.#frames.body();
  }

  /** The recorded frames as objects (all parsed at once: for tests and small recordings). */
  get frames(): TelemetryFrame[] {
    return Array.from(this.frameJson(), (json) => JSON.parse(json) as TelemetryFrame);
  }

  /** Pairs of frames become one: the later frame's counters, both frames' spans (into new slabs; the old ones are dropped). */
  #halve(): void {
    const old = this.#frames;
    const out = new FrameSlabs();
    for (let i = 0; i < old.refs.length; i += 2) {
      const a = JSON.parse(old.json(old.refs[i]!)) as TelemetryFrame;
      const bRef = old.refs[i + 1];
      if (!bRef) {
        out.push(a);
        continue;
      }
      const b = JSON.parse(old.json(bRef)) as TelemetryFrame;
      out.push({ ...b, spans: a.spans.concat(b.spans) });
    }
    this.#frames = out;
  }
}
