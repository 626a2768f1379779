/**
 * A NUL byte in a book's first 4 KB (17bed94's UTF-16 sniffing) made any text with one stray NUL
 * "not a text file" (SCRUB_FAILED): one damaged byte cost the whole book. Now a UTF-8 or
 * windows-1252 text with a stray NUL is read as before (the NUL kept, as every other byte), a real
 * UTF-16 text without a BOM is still decoded (Latin, and Cyrillic or Greek, whose letters have no
 * zero byte), and what is refused says why: how many control bytes, and that no encoding fits.
 * On the real corpus (FANOUT_CORPUS, else ../shared/corpus/gutenberg beside the checkout) when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeGutenbergBytes, sniffText, textProblem } from '../../../electron/engine/scrub/decode-bytes';
import { scrubBook } from '../../../electron/engine/scrub/scrub-book';

const CORPUS = process.env.FANOUT_CORPUS ?? resolve(fileURLToPath(new URL('../../../', import.meta.url)), '..', 'shared', 'corpus', 'gutenberg');
const FILES = ['pg1342.txt', '2160-0.txt', '14263-8.txt', '21937.txt', '2701.txt', '8tcng10.txt'];

const withNul = (bytes: Buffer, at: number) => Buffer.concat([bytes.subarray(0, at), Buffer.from([0]), bytes.subarray(at)]);
/** A NUL after the first space at or past `from` on a line with no marker (`*`): within a character, never splitting one or a marker. */
function strayNul(bytes: Buffer, from: number): Buffer {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== 0x20) continue;
    const start = bytes.lastIndexOf(0x0a, i) + 1;
    const end = bytes.indexOf(0x0a, i);
    if (!bytes.subarray(start, end === -1 ? bytes.length : end).includes(0x2a)) return withNul(bytes, i + 1);
  }
  throw new Error('no place for a stray NUL');
}
const text = (clean: Uint8Array) => Buffer.from(clean).toString('utf8');
const le = (s: string) => Buffer.from(s, 'utf16le');
const be = (s: string) => Buffer.from(s, 'utf16le').swap16();

describe.skipIf(!existsSync(CORPUS))('a stray NUL in a real book (corpus)', () => {
  it.each(FILES)('%s: read as before, the NUL kept; refused by nothing', (name) => {
    const bytes = readFileSync(join(CORPUS, name));
    const before = scrubBook(new Uint8Array(bytes));
    for (const at of [0, 700, 2500, 3900]) {
      const nul = strayNul(bytes, at);
      expect(nul.indexOf(0)).toBeLessThan(4096);
      expect(sniffText(nul)).toEqual({ kind: 'bytes' });
      expect(textProblem(nul)).toBeNull();
      const after = scrubBook(new Uint8Array(nul));
      expect(after.encoding).toBe(before.encoding);
      expect(after).toMatchObject({ startMarker: before.startMarker, endMarker: before.endMarker });
      // The body is the same; a NUL inside a producer's credit line may keep that line (it no longer reads as one).
      expect(text(after.clean).replace('\0', '').endsWith(text(before.clean).slice(2000))).toBe(true);
    }
  });

  it.each(FILES)('%s as UTF-16 without a BOM (LE and BE): decoded to the same clean text', (name) => {
    const bytes = readFileSync(join(CORPUS, name));
    const original = decodeGutenbergBytes(new Uint8Array(bytes)).text;
    const clean = text(scrubBook(new Uint8Array(bytes)).clean);
    for (const [encoding, utf16] of [['utf-16le', le(original)], ['utf-16be', be(original)]] as const) {
      expect(sniffText(utf16)).toEqual({ kind: 'utf-16', encoding, bom: false });
      expect(text(scrubBook(new Uint8Array(utf16)).clean)).toBe(clean);
    }
  });
});

describe('stray NULs, UTF-16 without BOM, and what is no text', () => {
  const book = ['The Project Gutenberg eBook of Test', '', '*** START OF THE PROJECT GUTENBERG EBOOK TEST ***', ''].join('\r\n');
  const body = (line: string) => Array.from({ length: 400 }, () => line).join('\r\n');

  it('a Latin-1 and a UTF-8 text with a stray NUL (or a few) are texts', () => {
    const latin1 = Buffer.from(`${book}${body('Voilà la café, naïve señor.')}`, 'latin1');
    const utf8 = Buffer.from(`${book}${body('Voilà — “naïve” señor, 1 €.')}`, 'utf8');
    for (const [bytes, encoding] of [[latin1, 'windows-1252'], [utf8, 'utf-8']] as const) {
      for (const nul of [strayNul(bytes, 100), strayNul(strayNul(strayNul(bytes, 100), 900), 3000)]) {
        expect(sniffText(nul)).toEqual({ kind: 'bytes' });
        expect(decodeGutenbergBytes(nul).encoding).toBe(encoding);
      }
    }
  });

  it.each([
    ['Cyrillic', 'Война и мир. Часть первая, глава 1: «Eh bien, mon prince».'],
    ['Greek', 'Ἰλιάς. Μῆνιν ἄειδε θεὰ Πηληϊάδεω Ἀχιλῆος, οὐλομένην.'],
  ])('a %s UTF-16 text without a BOM (letters with no zero byte) is decoded, LE and BE', (_, line) => {
    const s = `${book}${body(line)}`;
    expect(sniffText(le(s))).toEqual({ kind: 'utf-16', encoding: 'utf-16le', bom: false });
    expect(sniffText(be(s))).toEqual({ kind: 'utf-16', encoding: 'utf-16be', bom: false });
    expect(decodeGutenbergBytes(be(s)).text).toBe(s.replace(/\r\n/g, '\n'));
  });

  it('data that is no text is refused, saying why and what it was read as', () => {
    // Seeded noise (compressed or image data): control bytes everywhere, NULs at even and odd offsets.
    let x = 12345;
    const noise = Buffer.from(Array.from({ length: 8192 }, () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff));
    const why = textProblem(noise);
    expect(why).toMatch(/^is not a text file: \d+ of its first 4,096 bytes are control characters \(\d+ NUL\), which no text holds; not UTF-16 either \(its NULs are at even and odd offsets alike: \d+ and \d+\)$/);
    expect(() => scrubBook(new Uint8Array(noise))).toThrow(why!);
    // A block of zeros in a text (a damaged disk) is no stray NUL.
    const zeroed = Buffer.from(`${book}${body('Plain text.')}`, 'latin1');
    zeroed.fill(0, 1024, 1536);
    expect(textProblem(zeroed)).toMatch(/^is not a text file: 512 of its first 4,096 bytes are control characters \(512 NUL\)/);
  });
});
