import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnvelopeAddresses, parseEnvelopeAddressesFully } from '../../../electron/engine/mail/envelope-address';
import { corpusFiles, makeMessage, rng } from '../../harness/dovecot-fill';

/**
 * The shortcut of `parseEnvelopeAddresses` (one regular expression for the simplest From values)
 * gives what Dovecot's step-by-step parse gives (`parseEnvelopeAddressesFully`), for every value:
 * the real corpus's From headers, the bench's generated ones, and random strings of the characters
 * that matter to the parse.
 */
const fromOf = (bytes: Buffer): string | null => {
  const head = bytes.toString('utf8').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n(?=[ \t])/g, '');
  const m = /^from:(.*)$/im.exec(head);
  return m ? m[1]! : null;
};

describe('envelope addresses: the shortcut against the full parse', () => {
  it('the corpus\'s and the bench\'s From values', () => {
    const values = corpusFiles().map((f) => fromOf(readFileSync(f))).filter((v): v is string => v !== null);
    const rand = rng(3);
    for (let i = 0; i < 50; i++) values.push(fromOf(makeMessage(i, new Date(2020, 0, 1), 0, rand))!);
    values.push('a@b.c', ' a.b@c.d ', 'John Doe <j@x.org>', '"John Doe" <j@x.org>', 'J\u00fcrgen  M\u00fcller\t<j@x>', '"" <a@b>', '.x <a@b>', 'a@b, c@d', 'John (c) <a@b>', '"a\\"b" <a@b>', 'x.y z. <a@b.c>', '<a@b>', 'a@b.', 'a..b@c', '"x"y <a@b>', 'Undisclosed recipients:;');
    let fast = 0;
    for (const v of values) {
      expect(parseEnvelopeAddresses(v), v).toEqual(parseEnvelopeAddressesFully(v));
      if (/^[^,(]*$/.test(v)) fast++;
    }
    expect(values.length).toBeGreaterThan(60);
    expect(fast).toBeGreaterThan(30);
  });

  it('20,000 random strings of the characters the parse branches on', () => {
    const alphabet = ['a', 'b', 'x.', '.', '@', '<', '>', '"', '\\', '(', ')', ',', ':', ';', ' ', '\t', '\u00e9', '=?', '?=', '[', ']', 'Z9'];
    const rand = rng(11);
    for (let i = 0; i < 20_000; i++) {
      let v = '';
      const n = 1 + Math.floor(rand() * 14);
      for (let k = 0; k < n; k++) v += alphabet[Math.floor(rand() * alphabet.length)];
      // Shapes the shortcut reads, salted: name <local@domain>.
      if (i % 3 === 0) v = `${v} <${alphabet[Math.floor(rand() * 4)]}@b${alphabet[Math.floor(rand() * alphabet.length)]}>`;
      expect(parseEnvelopeAddresses(v), JSON.stringify(v)).toEqual(parseEnvelopeAddressesFully(v));
    }
  });
});
