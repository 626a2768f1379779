/**
 * electron/engine/mail/path-order.ts: folder paths ordered as `localeCompare` orders them, without
 * ICU's collator where the root collation's answer is known (printable ASCII, a locale with no
 * tailoring). Checked against ICU itself: random paths, the root and English collators, and a
 * node started with a tailored locale (Danish, Turkish), where the ICU path must be taken.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { asciiRootCompare, comparePaths, rootOrderApplies } from '../../../electron/engine/mail/path-order';
import { inListOrder } from '../../../electron/engine/mail/folders';
import { seededRandom } from '../../harness/seeded-random';

const run = promisify(execFile);
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Paths made to meet: prefixes, the same letters in other cases, digits, folder separators, every printable ASCII character. */
function randomPaths(count: number, seed: number): string[] {
  const rand = seededRandom(seed);
  const pick = (s: string) => s[Math.floor(rand() * s.length)]!;
  const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
  const words = ['INBOX', 'inbox', 'Inbox', 'Sent', 'sent', 'Archive', 'archive', 'Drafts', '[Gmail]', 'Sent Items', 'a', 'A', 'b', '10', '9', 'x-y', 'x_y', 'x.y', 'x/y'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const parts = 1 + Math.floor(rand() * 3);
    for (let p = 0; p < parts; p++) {
      if (p > 0) s += pick('/.');
      if (rand() < 0.5) s += words[Math.floor(rand() * words.length)];
      else for (let k = Math.floor(rand() * 5); k > 0; k--) s += rand() < 0.7 ? pick('aAbBzZ09') : pick(ascii);
    }
    // Its case flipped here and there: the same primary weights, other tertiary ones.
    out.push(s, [...s].map((c) => (rand() < 0.3 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join(''));
  }
  return out;
}

describe('folder paths in localeCompare order, with and without ICU', () => {
  it('printable ASCII: the root collation without ICU gives ICU\'s answer (root and English), pair for pair', () => {
    const paths = randomPaths(1500, 7);
    const root = new Intl.Collator('und');
    const en = new Intl.Collator('en');
    let compared = 0;
    for (let i = 0; i < paths.length; i++) {
      for (const j of [i + 1, (i * 7919) % paths.length, (i * 104_729 + 3) % paths.length]) {
        const a = paths[i]!;
        const b = paths[j % paths.length]!;
        const known = asciiRootCompare(a, b);
        expect([a, b, known]).toEqual([a, b, sign(root.compare(a, b))]);
        expect([a, b, known]).toEqual([a, b, sign(en.compare(a, b))]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(8000);
    // Sorted whole, the same order.
    expect([...paths].sort((a, b) => asciiRootCompare(a, b)!)).toEqual([...paths].sort(root.compare));
  });

  it('anything beyond printable ASCII is left to ICU', () => {
    for (const [a, b] of [['Entwürfe', 'Entwurf'], ['a\tb', 'ab'], ['Éléments', 'Elements'], ['a\u0301', 'á'], ['INBOX', 'Gesendete Objekte\u00a0']]) {
      expect(asciiRootCompare(a!, b!)).toBeNull();
      expect(comparePaths(a!, b!, { LANG: 'en_US.UTF-8' })).toBe(sign(a!.localeCompare(b!)));
    }
  });

  it('the locale: English, C, POSIX or none take the root order; any other (or a variant) takes ICU', () => {
    for (const env of [{}, { LANG: 'C' }, { LANG: 'C.UTF-8' }, { LANG: 'POSIX' }, { LANG: 'en_US.UTF-8' }, { LANG: 'en_GB' }, { LANG: 'en' }, { LC_ALL: '' }, { LANG: 'da_DK.UTF-8', LC_MESSAGES: 'en_US.UTF-8' }, { LANG: 'da_DK.UTF-8', LC_ALL: 'C.UTF-8' }]) {
      expect([env, rootOrderApplies(env)]).toEqual([env, true]);
    }
    for (const env of [{ LANG: 'da_DK.UTF-8' }, { LANG: 'tr_TR.UTF-8' }, { LANG: 'en_US.UTF-8', LC_MESSAGES: 'et_EE.UTF-8' }, { LANG: 'en_US.UTF-8', LC_ALL: 'cs_CZ.UTF-8' }, { LANG: 'en_US.UTF-8@euro' }, { LANG: 'en_US_POSIX' }, { LANG: 'de_DE.UTF-8' }]) {
      expect([env, rootOrderApplies(env)]).toEqual([env, false]);
    }
  });

  it('in Electron (its locale is Chromium\'s, not LANG) ICU decides, whatever the variables say', () => {
    expect(rootOrderApplies({ LANG: 'en_US.UTF-8' }, { node: '20.20.2', electron: '33.0.0' })).toBe(false);
    expect(rootOrderApplies({}, { node: '20.20.2', electron: '33.0.0' })).toBe(false);
    expect(rootOrderApplies({ LANG: 'en_US.UTF-8' }, { node: '20.20.2' })).toBe(true);
  });

  it('a node whose locale tailors ASCII (Danish "aa" after "z", Turkish I before i) orders as its own localeCompare does', async () => {
    const script = `import { inListOrder } from ${JSON.stringify(new URL('../../../electron/engine/mail/folders.ts', import.meta.url).href)};
const paths = ['INBOX', 'aa', 'z', 'Inbox2', 'info', 'Sent'];
const ours = paths.map((path) => ({ path })).sort(inListOrder).map((f) => f.path);
const icu = ['INBOX', ...paths.filter((p) => p !== 'INBOX').sort((a, b) => a.localeCompare(b))];
console.log(JSON.stringify({ ours, icu, locale: Intl.Collator().resolvedOptions().locale }));`;
    for (const LANG of ['da_DK.UTF-8', 'tr_TR.UTF-8', 'en_US.UTF-8']) {
      const env: NodeJS.ProcessEnv = { ...process.env, LANG };
      delete env.LC_ALL;
      delete env.LC_MESSAGES;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, timeout: 60_000 });
      const r = JSON.parse(stdout) as { ours: string[]; icu: string[]; locale: string };
      expect(r.ours, LANG).toEqual(r.icu);
      expect(r.locale.slice(0, 2)).toBe(LANG.slice(0, 2));
    }
    // What that checks is real: Danish puts "aa" after "z", English before.
    expect(['aa', 'z'].sort(new Intl.Collator('da').compare)).toEqual(['z', 'aa']);
  }, 120_000);

  it('inListOrder: INBOX first, then the rest in that order', () => {
    const paths = ['Sent', 'archive', 'INBOX', 'Archive', '[Gmail]/All Mail', 'Drafts', 'INBOX/Sub', 'inbox', '10', '9'];
    const sorted = paths.map((path) => ({ path })).sort(inListOrder).map((f) => f.path);
    expect(sorted).toEqual(['INBOX', ...paths.filter((p) => p !== 'INBOX').sort((a, b) => a.localeCompare(b))]);
  });
});
