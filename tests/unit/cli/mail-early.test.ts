/**
 * `fanout mail`'s first step in bin/fanout.js (electron/cli/mail-early.ts): the command line read
 * strictly, the quick listing started only for one the CLI accepts and an account archived before,
 * a re-launch at once for a valid job the quick listing leaves to imapflow or a first run, and
 * nothing (the CLI decides) for anything else. The listing it starts is the one the CLI's mail
 * command takes up with the account its schema parses. Against a local TCP server that accepts
 * and stays silent.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailOptionsOf, startMailEarly } from '../../../electron/cli/mail-early';
import { peekEarlyQuickList, startEarlyQuickList, takeEarlyQuickList } from '../../../electron/engine/mail/quick-list';
import { accountDirOf } from '../../../electron/engine/mail/folder-names';
import { MailAccountSchema } from '../../../shared/job-spec';

let server: Server;
let port = 0;
let out = '';
const sockets: Socket[] = [];
const env = { PW: 'secret', TOKEN: 'tok' };

beforeAll(async () => {
  server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  out = mkdtempSync(join(tmpdir(), 'fanout-mail-early-'));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(out, { recursive: true, force: true });
});

const base = () => ['mail', '--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--user', 'u', '--password-env', 'PW', '--out', out];
const root = () => accountDirOf(out, { host: '127.0.0.1', user: 'u' });

describe('mailOptionsOf', () => {
  it('reads --name value, --name=value and flags, each once', () => {
    expect(Object.fromEntries(mailOptionsOf(['mail', '--host', 'h', '--port=143', '--json', '--folders=a,b=c'])!)).toEqual({ host: 'h', port: '143', json: true, folders: 'a,b=c' });
  });

  it('refuses anything else: another command, a word, an unknown or repeated option, a global option, a missing value or one that looks like an option', () => {
    for (const args of [
      ['gutenberg', '--out', 'x'],
      ['--debug', 'mail', '--host', 'h'],
      ['mail', 'extra'],
      ['mail', '--hots', 'h'],
      ['mail', '--host', 'h', '--host', 'i'],
      ['mail', '--debug'],
      ['mail', '--host'],
      ['mail', '--host', '--user'],
      ['mail', '-h'],
      ['mail', '--json=yes'],
    ]) {
      expect(mailOptionsOf(args), args.join(' ')).toBeNull();
    }
  });
});

describe('startMailEarly', () => {
  it('does nothing for a command line the CLI refuses, or one it runs in its first node (--list-folders)', () => {
    writeArchive();
    const before = sockets.length;
    const refused = [
      ['--list-folders'],
      ['--host', 'imap://x'],
      ['--port', '0'],
      ['--port', '70000'],
      ['--port', '1e3'],
      ['--timeout', '50'],
      ['--timeout', '600001'],
      ['--tls', 'ssl'],
      ['--strategy', 'fastest'],
      ['--connections', '0'],
      ['--connections', '33'],
      ['--workers', 'many'],
      ['--max-connections', '40'],
      ['--connections', 'auto', '--strategy', 'split'],
      ['--folders', ' , '],
      ['--token-env', 'TOKEN'],
    ];
    for (const extra of refused) {
      const args = [...base(), ...extra];
      // A repeated option is refused by mailOptionsOf itself; replace instead.
      const merged = mergeOptions(args);
      expect(startMailEarly(merged, env), merged.join(' ')).toBeNull();
    }
    expect(startMailEarly(base().filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out'), env)).toBeNull();
    expect(startMailEarly(base(), {})).toBeNull();
    expect(sockets.length).toBe(before);
    expect(peekEarlyQuickList(MailAccountSchema.parse({ host: '127.0.0.1', port, tls: 'none', user: 'u', auth: { method: 'password', password: 'secret' } }), root(), 60_000)).toBeNull();
  });

  it('re-launches at once a valid job the quick listing leaves to imapflow, and a first run', () => {
    writeArchive();
    const before = sockets.length;
    expect(startMailEarly(mergeOptions([...base(), '--password-env', 'TOKEN']).map((a) => (a === '--password-env' ? '--token-env' : a)), env)).toBe('relaunch');
    expect(startMailEarly([...base(), '--proxy', 'socks5://127.0.0.1:1'], env)).toBe('relaunch');
    expect(startMailEarly(mergeOptions([...base(), '--tls', 'starttls']), env)).toBe('relaunch');
    rmSync(join(root(), 'folders.json'));
    expect(startMailEarly(base(), env)).toBe('relaunch');
    expect(sockets.length).toBe(before);
  });

  it('lists an account archived before; the CLI, parsing the same options with the schema, takes that listing up (one connection)', async () => {
    writeArchive();
    const before = sockets.length;
    expect(startMailEarly([...base(), '--json', '--connections', 'auto', '--folders', 'INBOX'], env)).toBe('listing');
    for (let i = 0; i < 500 && sockets.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sockets.length).toBe(before + 1);
    // What electron/cli/mail-command.ts does with the parsed spec.
    const account = MailAccountSchema.parse({ host: '127.0.0.1', port, tls: 'none', allowUntrustedCert: false, user: 'u', auth: { method: 'password', password: 'secret' } });
    expect(startEarlyQuickList(account, out, 60_000)).toBe(true);
    const listing = takeEarlyQuickList(account, root(), { timeoutMs: 60_000 });
    expect(listing).not.toBeNull();
    expect(sockets.length).toBe(before + 1);
    sockets[before]!.destroy();
    await expect(listing).resolves.toMatchObject({ ok: false });
  });
});

function writeArchive(): void {
  mkdirSync(root(), { recursive: true });
  writeFileSync(join(root(), 'folders.json'), '{"version":1,"dirs":{}}\n');
}

/** The command line with each option once, the last value given winning (as the CLI reads a repeated option). */
function mergeOptions(args: string[]): string[] {
  const values = new Map<string, string | null>();
  for (let i = 1; i < args.length; i++) {
    const name = args[i]!;
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      values.set(name, next);
      i++;
    } else values.set(name, null);
  }
  return ['mail', ...[...values].flatMap(([k, v]) => (v === null ? [k] : [k, v]))];
}
