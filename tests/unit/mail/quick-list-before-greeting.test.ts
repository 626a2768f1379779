/**
 * When the quick listing (electron/engine/mail/quick-list.ts) may send LOGIN before the server's
 * greeting: only where the password is protected without it. Over implicit TLS the greeting comes
 * after the handshake, and over the loopback interface nobody else sees the wire. A cleartext
 * connection to another host waits for the greeting, as imapflow does, so that a server announcing
 * LOGINDISABLED (no plaintext passwords here) never receives it: imapflow then refuses to log in.
 */
import { describe, expect, it } from 'vitest';
import { writesBeforeGreeting } from '../../../electron/engine/mail/quick-list';

describe('writesBeforeGreeting', () => {
  it('implicit TLS, any host: yes', () => {
    for (const host of ['imap.example.org', '192.0.2.7', '127.0.0.1']) expect(writesBeforeGreeting({ host, tls: 'implicit' })).toBe(true);
  });

  it('cleartext to a loopback address or localhost: yes', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST']) expect(writesBeforeGreeting({ host, tls: 'none' })).toBe(true);
  });

  it('cleartext to any other host, and STARTTLS (never listed the quick way): no', () => {
    for (const host of ['imap.example.org', '192.0.2.7', '10.0.0.1', '::2', '128.0.0.1', 'localhost.example.org', '127.0.0.1.example.org']) expect(writesBeforeGreeting({ host, tls: 'none' })).toBe(false);
    expect(writesBeforeGreeting({ host: '127.0.0.1', tls: 'starttls' })).toBe(false);
  });
});
