import { startRelayServer } from './relay-server';

/**
 * A TCP relay to an IMAP server that changes one thing about the server's greeting, to see what a
 * client sends around it:
 * - `hold`: the server's bytes (the greeting first) reach the client only once the client has sent
 *   a whole line: a client that waits for the greeting before its first command waits for ever.
 * - `drop-early`: what the client sends before the server's first bytes have reached the relay is
 *   discarded, as a server would that reads only after greeting and flushes what waited.
 * - `waiting`: the client first gets `* OK Waiting for authentication process to respond..`, as
 *   Dovecot greets a client whose command came before its login process was ready (then its usual
 *   greeting with the capabilities): seen on ~1 in 8 runs that write before the greeting, under load.
 * `firstClientLineBeforeGreeting` says, per connection, whether the client's first line arrived
 * before the relay had the server's greeting.
 */
export interface GreetingRelay {
  port: number;
  firstClientLineBeforeGreeting: boolean[];
  stop(): Promise<void>;
}

/** Dovecot's line for a command that came before its login process could authenticate (login-common). */
export const DOVECOT_WAITING = '* OK Waiting for authentication process to respond..\r\n';

/** `listenHost`: the address the relay listens on (default loopback), e.g. the machine's own non-loopback address. */
export async function startGreetingRelay(targetPort: number, mode: 'hold' | 'drop-early' | 'waiting', listenHost = '127.0.0.1'): Promise<GreetingRelay> {
  const relay: GreetingRelay = { port: 0, firstClientLineBeforeGreeting: [], stop: () => server.stop() };
  const server = await startRelayServer(targetPort, (client, upstream) => {
    const index = relay.firstClientLineBeforeGreeting.length;
    relay.firstClientLineBeforeGreeting.push(false);
    let greeted = false;
    let clientLine = false;
    let clientText = '';
    const held: Buffer[] = [];
    if (mode === 'waiting') client.write(DOVECOT_WAITING);
    client.on('data', (chunk: Buffer) => {
      if (!clientLine) {
        clientText += chunk.toString('latin1');
        if (clientText.includes('\r\n')) {
          clientLine = true;
          relay.firstClientLineBeforeGreeting[index] = !greeted;
          for (const h of held.splice(0)) client.write(h);
        }
      }
      if (mode === 'drop-early' && !greeted) return;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      greeted = true;
      if (mode === 'hold' && !clientLine) held.push(chunk);
      else client.write(chunk);
    });
  }, listenHost);
  relay.port = server.port;
  return relay;
}
