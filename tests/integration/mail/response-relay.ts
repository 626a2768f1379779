import { startRelayServer } from './relay-server';

/**
 * One whole server response: `texts[0] literals[0] texts[1] … texts[k]` (latin1 text; a text
 * followed by a literal ends with its `{n}\r\n`, the last ends with `\r\n`). A rewrite touches the
 * text only, never a literal's bytes (a message's body may hold any words).
 */
export interface ServerResponse {
  texts: string[];
  literals: Buffer[];
}

/** The response's bytes as they came. */
export function responseBytes(r: ServerResponse): Buffer {
  const parts: Buffer[] = [];
  r.texts.forEach((t, i) => {
    parts.push(Buffer.from(t, 'latin1'));
    if (i < r.literals.length) parts.push(r.literals[i]!);
  });
  return Buffer.concat(parts);
}

/**
 * A TCP relay to an IMAP server that hands each whole response of the server (its literals read by
 * their announced length) to `rewrite` before the client gets it, and records the client's command
 * lines. COMPRESS=DEFLATE is taken out of the capabilities (Cyrus offers it), so the relay reads
 * every answer in the clear.
 */
export interface ResponseRelay {
  port: number;
  /** The client's lines (commands, not literals' bytes), all connections, in order. */
  commands: string[];
  /** Server → client bytes, after the rewrite. */
  bytesDown: number;
  stop(): Promise<void>;
}

/**
 * A `rewrite` for `startResponseRelay`: every RFC822.SIZE announced `extra` bytes more than the body
 * it stands for, the bodies untouched (a server that approximates sizes: Exchange's "fast message
 * retrieval").
 */
export function approximateSizes(extra: number): (r: ServerResponse) => Buffer {
  return (r) => {
    r.texts = r.texts.map((t) => t.replace(/RFC822\.SIZE (\d+)/g, (_m, n: string) => `RFC822.SIZE ${Number(n) + extra}`));
    return responseBytes(r);
  };
}

/**
 * `rewrite`: what the client gets for each response (`responseBytes(r)` unchanged; an empty Buffer
 * drops it; one ending with a `* BYE` line ends the connection after it, as a server ending the
 * session does). `beforeCommand`: called with each client line before it goes to the server; a promise
 * it returns holds that line and everything after it on that connection until it settles (a test
 * changes the mailbox just before a command reaches the server, whatever the machine's speed).
 */
export async function startResponseRelay(
  targetPort: number,
  rewrite: (r: ServerResponse) => Buffer = responseBytes,
  beforeCommand?: (line: string) => Promise<void> | void,
): Promise<ResponseRelay> {
  const relay: ResponseRelay = { port: 0, commands: [], bytesDown: 0, stop: () => server.stop() };
  const server = await startRelayServer(targetPort, (client, upstream) => {
    let up = '';
    /** The client's bytes go to the server in order, each chunk after the gates of the lines it ends. */
    let forward: Promise<void> = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      up += chunk.toString('latin1');
      const lines = up.split('\r\n');
      up = lines.pop()!.slice(-8192);
      relay.commands.push(...lines);
      forward = forward.then(async () => {
        for (const l of lines) await beforeCommand?.(l);
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    let pending: Buffer = Buffer.alloc(0);
    let cur: ServerResponse = { texts: [], literals: [] };
    /** Bytes of a literal still to come (then the response's text goes on). */
    let literal = -1;
    upstream.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const out: Buffer[] = [];
      for (;;) {
        if (literal >= 0) {
          if (pending.length < literal) break;
          cur.literals.push(pending.subarray(0, literal));
          pending = pending.subarray(literal);
          literal = -1;
          continue;
        }
        const end = pending.indexOf('\r\n');
        if (end < 0) break;
        const text = pending.subarray(0, end + 2).toString('latin1');
        pending = pending.subarray(end + 2);
        cur.texts.push(text.replace(/ COMPRESS=DEFLATE\b/gi, ''));
        const lit = /\{(\d+)\+?\}\r\n$/.exec(text);
        if (lit) {
          literal = Number(lit[1]);
          continue;
        }
        out.push(rewrite(cur));
        cur = { texts: [], literals: [] };
      }
      if (out.length === 0) return;
      const bytes = Buffer.concat(out);
      relay.bytesDown += bytes.length;
      client.write(bytes);
      // A rewrite that ends the session (`* BYE`) ends the connection too, as a server does.
      if (/(?:^|\r\n)\* BYE [^\r\n]*\r\n$/.test(bytes.toString('latin1'))) {
        client.end();
        upstream.destroy();
      }
    });
  });
  relay.port = server.port;
  return relay;
}

/** UIDs of a UID set (`1:3,7`). */
export function uidsOf(set: string): number[] {
  const out: number[] = [];
  for (const part of set.split(',')) {
    const [a, b] = part.split(':').map(Number);
    for (let u = a!; u <= (b ?? a!); u++) out.push(u);
  }
  return out;
}

/** How many times each UID's body was asked for from its first byte (`BODY.PEEK[]` or `BODY.PEEK[]<0.n>`), over `commands`. */
export function bodyAsks(commands: readonly string[]): Map<number, number> {
  const asks = new Map<number, number>();
  for (const c of commands) {
    const m = /UID FETCH (\S+) \((.*)\)$/i.exec(c);
    if (!m || !/BODY\.PEEK\[\](?!<[1-9])/i.test(m[2]!)) continue;
    for (const u of uidsOf(m[1]!)) asks.set(u, (asks.get(u) ?? 0) + 1);
  }
  return asks;
}
