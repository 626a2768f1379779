import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, describe, expect, it } from 'vitest';
import { keepLiteralPieces } from '../../../electron/engine/mail/literal-pieces';
import { holdMessageFile, messageSize, type MessageBytes } from '../../../electron/engine/mail/message-file';
import { headerMeta, headOf } from '../../../electron/engine/mail/header-meta';

/**
 * literal-pieces.ts: imapflow's stream hands a literal on in the pieces it came in (no copy into one
 * Buffer); the pieces are the same bytes as imapflow's own joined literal, a line imapflow reads has
 * them joined first, and a message in pieces is written, hashed and read for its header as the
 * whole message is.
 */

type Item = { payload: Buffer; literals: Array<Buffer | Buffer[]>; next: () => void };

function newClient(): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: 1, secure: false, auth: { user: 'u', pass: 'p' }, logger: false });
}

/** Feeds `chunks` to a client's stream and collects the responses it emits. */
async function responses(client: ImapFlow, chunks: Buffer[]): Promise<Item[]> {
  const streamer = (client as unknown as { streamer: { read(): Item | null; write(chunk: Buffer): boolean; end(): void; on(event: 'readable' | 'end', listener: () => void): void } }).streamer;
  const items: Item[] = [];
  const reading = new Promise<void>((resolve) => {
    const drain = () => {
      let item: Item | null;
      while ((item = streamer.read()) !== null) {
        items.push(item);
        item.next();
      }
    };
    streamer.on('readable', drain);
    streamer.on('end', resolve);
  });
  for (const c of chunks) streamer.write(c);
  streamer.end();
  await reading;
  return items;
}

const joined = (l: Buffer | Buffer[]) => (Array.isArray(l) ? Buffer.concat(l) : l);

/** A body row answer with a literal of `size` bytes, cut into chunks at `cuts`. */
function wire(size: number, cuts: number[]): { body: Buffer; chunks: Buffer[] } {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + 7) & 0xff;
  const all = Buffer.concat([Buffer.from(`* 1 FETCH (UID 5 BODY[] {${size}}\r\n`), body, Buffer.from(')\r\n* 2 FETCH (UID 6 BODY[] {3}\r\nabc)\r\nA1 OK done\r\n')]);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, all.length]) {
    chunks.push(all.subarray(at, c));
    at = c;
  }
  return { body, chunks };
}

describe('imapflow stream with literal pieces', () => {
  for (const [name, size, cuts] of [
    ['one chunk', 1000, []],
    ['a literal over three chunks', 200_000, [10_000, 150_000]],
    ['cut inside the marker and right after it', 70_000, [20, 27, 28, 29]],
    ['cut one byte before the literal ends', 5000, [5027]],
    ['a chunk per byte around the literal end', 60, [80, 81, 82, 83, 84, 85, 86, 87]],
  ] as const) {
    it(`${name}: the same responses and bytes as imapflow's own stream`, async () => {
      const { body, chunks } = wire(size, [...cuts]);
      const plain = await responses(newClient(), chunks.map((c) => Buffer.from(c)));
      const hooked = newClient();
      keepLiteralPieces(hooked);
      const pieces = await responses(hooked, chunks.map((c) => Buffer.from(c)));
      expect(pieces.map((i) => i.payload.toString('latin1'))).toEqual(plain.map((i) => i.payload.toString('latin1')));
      expect(pieces.map((i) => i.literals.map(joined))).toEqual(plain.map((i) => i.literals));
      expect(joined(pieces[0]!.literals[0]!).equals(body)).toBe(true);
      // In pieces where the chunks cut it (a literal inside one chunk is that chunk's view, not copied).
      const start = `* 1 FETCH (UID 5 BODY[] {${size}}\r\n`.length;
      const cutInside = cuts.some((c) => c > start && c < start + size);
      expect(Array.isArray(pieces[0]!.literals[0])).toBe(cutInside);
    });
  }

  it("imapflow's handleResponse joins a literal left in pieces before it reads the line", async () => {
    const client = newClient();
    keepLiteralPieces(client);
    const data = { payload: Buffer.from('* 1 FETCH (UID 5 BODY[] {5}\r\n)'), literals: [[Buffer.from('ab'), Buffer.from('cde')]] as Array<Buffer | Buffer[]> };
    await (client as unknown as { handleResponse(d: unknown): Promise<unknown> }).handleResponse(data).catch(() => undefined);
    expect(Buffer.isBuffer(data.literals[0])).toBe(true);
    expect((data.literals[0] as Buffer).toString()).toBe('abcde');
  });
});

describe('a message in pieces on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-pieces-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 13) & 0xff));
  const sha = createHash('sha256').update(bytes).digest('hex');

  for (const [name, cut] of [
    ['one piece', [bytes]],
    ['pieces with empty ones', [bytes.subarray(0, 0), bytes.subarray(0, 65_536), bytes.subarray(65_536, 65_536), bytes.subarray(65_536)]],
    ['more pieces than one writev takes (IOV_MAX)', Array.from({ length: 3000 }, (_, i) => bytes.subarray(i * 100, i === 2999 ? bytes.length : (i + 1) * 100))],
  ] as const) {
    it(`${name}: the same file and sha256 as the whole message`, async () => {
      const abs = join(dir, `${name.length}.eml`);
      const source: MessageBytes = cut.length === 1 ? cut[0]! : [...cut];
      expect(messageSize(source)).toBe(bytes.length);
      const held = await holdMessageFile(abs, source, new Date(1_700_000_000_000));
      held.land();
      expect(held.sha256).toBe(sha);
      expect(readFileSync(abs).equals(bytes)).toBe(true);
    });
  }
});

describe('headOf: the header of a message in pieces', () => {
  const messages = [
    'From: "A B" <a@b.example>\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n\r\nFrom: not this\r\n',
    'From: a@b.example\nSubject: bare LF\nMessage-ID: <2@x>\n\nbody\n',
    'Subject: a CRLF header\r\nFrom: c@d.example\r\nX-Odd: a\n\nb\r\n\r\nFrom: later <e@f>\r\n',
    'From: no body at all <g@h.example>\r\nSubject: none\r\n',
  ];
  for (const text of messages) {
    it(`every two-piece and three-piece cut gives the whole message's header fields: ${JSON.stringify(text.slice(0, 30))}`, () => {
      const whole = Buffer.from(text);
      const expected = headerMeta(whole);
      for (let a = 0; a <= whole.length; a++) {
        for (const b of [a, Math.min(whole.length, a + 1), Math.min(whole.length, a + 2), whole.length]) {
          const pieces = [whole.subarray(0, a), whole.subarray(a, b), whole.subarray(b)];
          const head = headOf(pieces);
          expect(whole.subarray(0, head.length).equals(head)).toBe(true);
          expect(headerMeta(head)).toEqual(expected);
        }
      }
    });
  }
});
