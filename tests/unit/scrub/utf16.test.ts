import { describe, expect, it } from 'vitest';
import { decodeGutenbergBytes, sniffText } from '../../../electron/engine/scrub/decode-bytes';
import { scrubBook, scrubBookReference } from '../../../electron/engine/scrub/scrub-book';
import { createScrubPool } from '../../../electron/engine/scrub/scrub-pool';

/**
 * A mirror's UTF-16 text (with or without a byte-order mark) was read as windows-1252: the
 * cleaned "UTF-8" text came out as mojibake twice the size (`ÿþ*\0*\0*\0 \0S\0…`), with only a
 * no-start-marker warning. It is decoded as UTF-16 now, where that is certain (a BOM, or NULs in
 * every other byte), and refused with a reason where it looks like UTF-16 but is not valid, or
 * holds NUL bytes in no UTF-16 pattern (not a text): never written out as mojibake.
 */
const BOOK = [
  'The Project Gutenberg eBook of Ça ira', '',
  '*** START OF THE PROJECT GUTENBERG EBOOK ÇA IRA ***', '',
  'Ça ira — “naïve” señor, 1 € and ‘quotes’.', 'Second line; Ελληνικά, 日本語.', '',
  '*** END OF THE PROJECT GUTENBERG EBOOK ÇA IRA ***', 'licence text', '',
].join('\r\n');
const CLEAN = 'Ça ira — “naïve” señor, 1 € and ‘quotes’.\nSecond line; Ελληνικά, 日本語.\n';

const le = (s: string, bom: boolean) => Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(s, 'utf16le')]);
const be = (s: string, bom: boolean) => le(s, bom).swap16();

describe('UTF-16 texts', () => {
  it.each([
    ['LE with BOM', le(BOOK, true), 'utf-16le', true],
    ['BE with BOM', be(BOOK, true), 'utf-16be', true],
    ['LE without BOM', le(BOOK, false), 'utf-16le', false],
    ['BE without BOM', be(BOOK, false), 'utf-16be', false],
  ] as const)('%s: cleaned to the same UTF-8 text as the UTF-8 file', (_name, bytes, encoding, bom) => {
    expect(sniffText(bytes)).toEqual({ kind: 'utf-16', encoding, bom });
    const r = scrubBook(new Uint8Array(bytes));
    expect(Buffer.from(r.clean).toString('utf8')).toBe(CLEAN);
    expect(r).toMatchObject({ encoding, bom, startMarker: true, endMarker: true, warnings: [], rawBytes: bytes.length });
    expect(Buffer.from(r.clean)).toEqual(Buffer.from(scrubBookReference(new Uint8Array(Buffer.from(BOOK, 'utf8'))).clean));
    expect(decodeGutenbergBytes(bytes).text.startsWith('The Project Gutenberg eBook of Ça ira\n')).toBe(true);
  });

  it('in a scrub thread too (the download path)', async () => {
    const pool = createScrubPool({ executor: 'threads', size: 1, maxQueue: 2 });
    try {
      const r = await pool.scrub(new Uint8Array(le(BOOK, true)));
      expect(Buffer.from(r.clean).toString('utf8')).toBe(CLEAN);
      expect(r.encoding).toBe('utf-16le');
      await expect(pool.scrub(new Uint8Array(le(BOOK, true).subarray(0, 101)))).rejects.toMatchObject({ code: 'SCRUB_FAILED', message: expect.stringContaining('is UTF-16LE text (it starts with a UTF-16 byte order mark) but not valid UTF-16') });
    } finally {
      await pool.close();
    }
  });

  it('refused, with the reason, where it looks like UTF-16 but is not valid: never mojibake', () => {
    // An odd number of bytes (a cut file).
    expect(() => scrubBook(new Uint8Array(le(BOOK, true).subarray(0, 101)))).toThrow('is UTF-16LE text (it starts with a UTF-16 byte order mark) but not valid UTF-16 (an odd number of bytes, or half a surrogate pair); it cannot be read as text');
    // A lone surrogate, no BOM.
    const lone = Buffer.concat([le('Some text here and more text', false), Buffer.from([0x00, 0xd8]), le(' and the rest', false)]);
    expect(() => scrubBook(new Uint8Array(lone))).toThrow('is UTF-16LE text (a NUL in every other byte) but not valid UTF-16');
  });

  it('NUL bytes in no UTF-16 pattern: not a text (refused, not written out as it is)', () => {
    const binary = Buffer.from([0x41, 0x42, 0x00, 0x01, 0x43, 0x0a, 0x00, 0x00, 0x00, 0x7f, 0x45, 0x4c, 0x46]);
    const why = '5 of its 13 bytes are control characters (4 NUL), which no text holds; not UTF-16 either (its NULs are at even and odd offsets alike: 3 and 1)';
    expect(sniffText(binary)).toEqual({ kind: 'binary', why });
    expect(() => scrubBook(new Uint8Array(binary))).toThrow(`is not a text file: ${why}`);
    expect(() => decodeGutenbergBytes(binary)).toThrow(`is not a text file: ${why}`);
    // Too short to show a pattern: a lone NUL is no UTF-16 (it was read as UTF-16LE, then refused as odd-length).
    expect(sniffText(Buffer.from([0]))).toEqual({ kind: 'binary', why: '1 of its 1 bytes are control characters (1 NUL), which no text holds; not UTF-16 either (one NUL shows no UTF-16 pattern)' });
    expect(sniffText(Buffer.from([0, 0, 0, 0]))).toMatchObject({ kind: 'binary', why: expect.stringContaining('its NULs are at even and odd offsets alike: 2 and 2') });
    expect(sniffText(Buffer.from('Hi\n', 'utf16le'))).toEqual({ kind: 'utf-16', encoding: 'utf-16le', bom: false });
  });

  it('UTF-8 and windows-1252 texts are as before', () => {
    expect(sniffText(Buffer.from(BOOK, 'utf8'))).toEqual({ kind: 'bytes' });
    expect(sniffText(Buffer.from('caf\xe9', 'latin1'))).toEqual({ kind: 'bytes' });
    expect(scrubBook(new Uint8Array(Buffer.from(BOOK, 'utf8'))).encoding).toBe('utf-8');
  });
});
