import { startRelayServer } from './relay-server';

/** What a client sent through the relay: per connection, its commands (verb and first argument). */
export interface CommandRelay {
  port: number;
  /** One list per accepted connection, in order: `['ID', 'LOGIN', 'EXAMINE INBOX', 'UID FETCH', …]`. */
  sessions: string[][];
  /** The same commands by the data chunk they arrived in (one client write on loopback is one chunk): which were pipelined together. */
  writes: string[][][];
  stop(): Promise<void>;
}

/**
 * A TCP relay to an IMAP server that records the commands each client connection sends (tagged
 * lines only; literals a client sends are not commands and rarely start with a tag and a verb).
 * EXAMINE and SELECT keep their folder argument (unquoted), so a test can count the selections per folder.
 * `rewrite` changes what a client sends before the server gets it (a server that drops or refuses a command).
 */
export async function startCommandRelay(targetPort: number, opts: { rewrite?: (chunk: Buffer) => Buffer } = {}): Promise<CommandRelay> {
  const relay: CommandRelay = { port: 0, sessions: [], writes: [], stop: () => server.stop() };
  const server = await startRelayServer(targetPort, (client, upstream) => {
    const sent: string[] = [];
    const writes: string[][] = [];
    relay.sessions.push(sent);
    relay.writes.push(writes);
    let tail = '';
    client.on('data', (received: Buffer) => {
      // What the server gets (and the relay records): the client's bytes, rewritten if asked.
      const chunk = opts.rewrite ? opts.rewrite(received) : received;
      const text = tail + chunk.toString('latin1');
      const lines = text.split('\r\n');
      tail = lines.pop()!.slice(-4096);
      const inChunk: string[] = [];
      writes.push(inChunk);
      for (const line of lines) {
        const m = /^[A-Za-z0-9.]+ (UID [A-Z]+|[A-Z]+)(?: ("[^"]*"|\S+))?/.exec(line);
        if (!m) continue;
        const command = m[1] === 'EXAMINE' || m[1] === 'SELECT' ? `${m[1]} ${(m[2] ?? '').replace(/^"(.*)"$/, '$1')}` : m[1]!;
        sent.push(command);
        inChunk.push(command);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  relay.port = server.port;
  return relay;
}
