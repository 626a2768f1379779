import type net from 'node:net';
import { startRelayServer } from './relay-server';

/**
 * A TCP relay to an IMAP server that can hold one answer part-way: `holdAnswer(command, bytes)`
 * arms it, and the next answer to a client line matching `command` is relayed for `bytes` bytes,
 * then the relay stops reading from the server (the server blocks writing once the socket buffers
 * are full: it is still answering) until `release()`. The promise resolves once the answer is held,
 * so a test changes the mailbox (another client's EXPUNGE, DELETE, RENAME) while the FETCH is under
 * way, in that order, whatever the machine's speed.
 */
export interface HoldRelay {
  port: number;
  /** Resolves when the next answer to a line matching `command` is held after `afterBytes` bytes. */
  holdAnswer(command: RegExp, afterBytes: number): Promise<void>;
  /** The local port of the relay's connection to the server whose answer is held (the server's peer port), or null. */
  heldPeerPort(): number | null;
  /** Lets the held answer go on (and disarms). */
  release(): void;
  /** Answers held so far. */
  held: number;
  /** Status lines the server sent that end or refuse something (`* BYE …`, `<tag> NO …`, `<tag> BAD …`), in order. */
  refusals: string[];
  stop(): Promise<void>;
}

/** `rewriteDown`: changes what the server sends before the client gets it (a server that says something else). */
export async function startHoldRelay(targetPort: number, opts: { rewriteDown?: (chunk: Buffer) => Buffer } = {}): Promise<HoldRelay> {
  let armed: { command: RegExp; afterBytes: number; onHeld: () => void } | null = null;
  let paused: net.Socket | null = null;
  const relay: HoldRelay = {
    port: 0,
    held: 0,
    refusals: [],
    holdAnswer: (command, afterBytes) =>
      new Promise<void>((resolve) => {
        armed = { command, afterBytes, onHeld: resolve };
      }),
    heldPeerPort: () => paused?.localPort ?? null,
    release: () => {
      armed = null;
      const p = paused;
      paused = null;
      p?.resume();
    },
    stop: () => server.stop(),
  };
  const server = await startRelayServer(targetPort, (client, upstream) => {
    /** Bytes of the watched answer relayed so far (null: not watching this connection). */
    let watched: number | null = null;
    let tail = '';
    /** Until the client selects or lists, COMPRESS=DEFLATE is taken out of the server's capabilities (Cyrus offers it): the relay reads the answers. */
    let early = true;
    client.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      const lines = text.split('\r\n');
      tail = lines.pop()!.slice(-4096);
      if (lines.some((l) => /^\S+ (LIST|EXAMINE|SELECT|STATUS) /i.test(l))) early = false;
      if (armed && watched === null && lines.some((l) => armed!.command.test(l))) watched = 0;
      upstream.write(chunk);
    });
    upstream.on('data', (raw: Buffer) => {
      const plain = early ? Buffer.from(raw.toString('latin1').replace(/ COMPRESS=DEFLATE\b/gi, ''), 'latin1') : raw;
      const chunk = opts.rewriteDown ? opts.rewriteDown(plain) : plain;
      client.write(chunk);
      // Seen at a chunk's start or after a line end (a message's own text may hold such a line: these tests' do not).
      for (const m of chunk.toString('latin1').matchAll(/(?:^|\r\n)(\* BYE [^\r]*|[A-Za-z0-9]+ (?:NO|BAD) [^\r]*)/g)) relay.refusals.push(m[1]!);
      if (watched === null || !armed) return;
      watched += chunk.length;
      if (watched < armed.afterBytes) return;
      watched = null;
      upstream.pause();
      paused = upstream;
      relay.held++;
      const { onHeld } = armed;
      armed = { ...armed, command: /(?!)/ };
      onHeld();
    });
  });
  relay.port = server.port;
  return relay;
}
