/**
 * Slow chosen transfers in the latency proxy (tcp-proxy.ts `setSlow`): a server with a few
 * stragglers. A rule picks transfers by path (the HTTP request path, the FTP RETR argument) and
 * holds their first byte and/or trickles them at a rate. A transfer the client cut short while it
 * was slowed is followed by one at full speed (the re-issued request reaches a healthy replica:
 * what a per-item timeout is for); a slowed transfer that ran to its end leaves the next one slow,
 * so every run of a lab meets the same stragglers.
 */

export interface SlowRule {
  /** Tested against the HTTP request path (`/1/2/3/123/123-0.txt`) or the FTP RETR argument. */
  match: RegExp | ((path: string) => boolean);
  /** Hold the first byte of the response (HTTP) or of the data connection (FTP) this long, ms. */
  firstByteDelayMs?: number;
  /** Then relay at most this many bytes per second. */
  bytesPerSecond?: number;
  /** Default true: the transfer after one the client cut short while slowed goes at full speed. */
  fastAfterCut?: boolean;
}

/** A rule slowing the text and zip files of these ebooks (`N.txt`, `N-0.txt`, `N-8.zip`, …), by file name. */
export function slowBooks(ebooks: readonly number[], opts: Omit<SlowRule, 'match'>): SlowRule {
  const names = new RegExp(`(^|/)(${ebooks.map((e) => String(Math.trunc(e))).join('|')})(-[0-9])?\\.(txt|zip)$`);
  return { ...opts, match: names };
}

/** One slowed transfer: when each piece of the server's bytes may go on to the client. */
export class Throttle {
  #nextAt = 0;
  #first = true;
  /** Pieces paced but not yet handed on: the client leaving while some are is a cut. */
  pending = 0;
  /** A request of the same path came while this one still held bytes back: its re-issue, already fast. */
  reissued = false;

  constructor(
    private readonly rule: SlowRule,
    readonly path: string,
  ) {}

  /**
   * Splits `chunk` into pieces with the time each is due (performance.now() ms), no earlier than
   * `earliest` (the proxy's own delay): the first held by `firstByteDelayMs`, then paced at the rate.
   */
  pace(chunk: Buffer, earliest: number): Array<{ piece: Buffer; dueAt: number }> {
    let at = Math.max(earliest, this.#nextAt);
    if (this.#first) {
      this.#first = false;
      at += this.rule.firstByteDelayMs ?? 0;
    }
    const rate = this.rule.bytesPerSecond;
    if (!rate) {
      this.#nextAt = at;
      this.pending++;
      return [{ piece: chunk, dueAt: at }];
    }
    // About 20 pieces a second: smooth enough, few timers.
    const size = Math.max(512, Math.floor(rate / 20));
    const out: Array<{ piece: Buffer; dueAt: number }> = [];
    for (let i = 0; i < chunk.length; i += size) {
      const piece = chunk.subarray(i, i + size);
      out.push({ piece, dueAt: at });
      at += (1000 * piece.length) / rate;
    }
    this.#nextAt = at;
    this.pending += out.length;
    return out;
  }
}

/** The proxy's rule, and the paths whose next transfer goes at full speed (re-issued after a cut). */
export class SlowTransfers {
  readonly #fastNext = new Set<string>();
  /** Slowed transfers whose client has not left yet, by path. */
  readonly #live = new Map<string, Set<Throttle>>();

  constructor(private readonly rule: SlowRule) {}

  /** A throttle for a transfer of `path`, or null when the rule leaves it alone. */
  claim(path: string): Throttle | null {
    const m = this.rule.match;
    if (!(typeof m === 'function' ? m(path) : m.test(path))) return null;
    if (this.#fastNext.delete(path)) return null;
    // The same path again while a slowed transfer of it still holds bytes back: the client cut it and
    // re-issued it, its close not seen yet (the new connection's request can come first: seen under
    // load, the re-issue slowed too). Fast, as after a cut seen.
    const live = this.#live.get(path);
    if (this.rule.fastAfterCut !== false) {
      for (const t of live ?? []) {
        if (t.pending > 0 && !t.reissued) {
          t.reissued = true;
          return null;
        }
      }
    }
    const t = new Throttle(this.rule, path);
    if (live) live.add(t);
    else this.#live.set(path, new Set([t]));
    return t;
  }

  /** The client left a slowed transfer: cut short when bytes were still held back. */
  clientLeft(t: Throttle): void {
    const live = this.#live.get(t.path);
    live?.delete(t);
    if (live?.size === 0) this.#live.delete(t.path);
    if (t.pending > 0 && !t.reissued && this.rule.fastAfterCut !== false) this.#fastNext.add(t.path);
  }
}

/**
 * Finds command lines in the client's bytes, across chunk boundaries: HTTP request lines (their
 * path), or FTP data-transfer commands (RETR's argument; '' for a listing, which uses a data
 * connection too, so the n-th such command is the n-th passive connection).
 */
export class CommandLines {
  #tail = '';

  constructor(private readonly mode: 'http' | 'ftp') {}

  push(chunk: Buffer): string[] {
    const text = this.#tail + chunk.toString('latin1');
    const end = text.lastIndexOf('\n');
    // Keep the unfinished line (bounded: a body is not a command line).
    this.#tail = text.slice(end + 1).slice(-4096);
    if (end < 0) return [];
    const out: string[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (this.mode === 'http') {
        const m = /^[A-Z]+ (\S+) HTTP\/\d\.\d\r?$/.exec(line);
        if (m) out.push(m[1]!);
      } else {
        const m = /^(RETR|LIST|NLST|MLSD|STOR|APPE)(?: (.*?))?\r?$/i.exec(line);
        if (m) out.push(m[1]!.toUpperCase() === 'RETR' ? (m[2] ?? '') : '');
      }
    }
    return out;
  }
}
