import { describe, expect, it } from 'vitest';
import { assignFolderDirs, isSafeRelativeDir, sanitizeSegment } from '../../../electron/engine/mail/folder-names';

describe('sanitizeSegment', () => {
  it('keeps readable Unicode names', () => {
    expect(sanitizeSegment('Entwürfe')).toBe('Entwürfe');
    expect(sanitizeSegment('Входящие')).toBe('Входящие');
    expect(sanitizeSegment('受信トレイ 📥')).toBe('受信トレイ 📥');
  });
  it('never yields traversal, separators or names Windows cannot hold', () => {
    expect(sanitizeSegment('..')).toBe('__');
    expect(sanitizeSegment('.')).toBe('_');
    expect(sanitizeSegment('')).toBe('_');
    expect(sanitizeSegment('a/b\\c')).toBe('a_b_c');
    expect(sanitizeSegment('what?<>:"|*')).toBe('what_______');
    expect(sanitizeSegment('tab\there')).toBe('tab_here');
    expect(sanitizeSegment('trailing. ')).toBe('trailing__');
    expect(sanitizeSegment('CON')).toBe('_CON');
    expect(sanitizeSegment('lpt1.txt')).toBe('_lpt1.txt');
    expect(sanitizeSegment('.hidden')).toBe('_.hidden');
  });
  it('does not take the names the archive uses inside a folder', () => {
    expect(sanitizeSegment('12.eml')).toBe('_12.eml');
    expect(sanitizeSegment('index.jsonl')).toBe('_index.jsonl');
    expect(sanitizeSegment('state.json')).toBe('_state.json');
    expect(sanitizeSegment('uidvalidity-5')).toBe('_uidvalidity-5');
  });
  it('caps the length without splitting a surrogate pair', () => {
    const s = sanitizeSegment('x'.repeat(99) + '📥📥');
    expect(s.length).toBeLessThanOrEqual(100);
    expect(s).toBe('x'.repeat(99));
  });
});

describe('assignFolderDirs', () => {
  const f = (path: string) => ({ path, delimiter: '/' });
  it('maps hierarchy to nested directories', () => {
    expect(assignFolderDirs([f('INBOX'), f('INBOX/Work'), f('Archiv/2019')])).toEqual({ INBOX: 'INBOX', 'INBOX/Work': 'INBOX/Work', 'Archiv/2019': 'Archiv/2019', Archiv: 'Archiv' });
  });
  it('gives two folders two directories, also case-insensitively and after sanitizing', () => {
    const dirs = assignFolderDirs([f('a?'), f('a*'), f('News'), f('news')]);
    const values = Object.values(dirs).map((d) => d.toLowerCase());
    expect(new Set(values).size).toBe(values.length);
    // Sorted by path: "a*" comes before "a?".
    expect(dirs['a*']).toBe('a_');
    expect(dirs['a?']).toBe('a_ (2)');
  });
  it('keeps the directories of earlier runs', () => {
    const dirs = assignFolderDirs([f('news'), f('News')], { News: 'News' });
    expect(dirs.News).toBe('News');
    expect(dirs.news).toBe('news (2)');
  });
  it('ignores an unsafe persisted mapping', () => {
    const dirs = assignFolderDirs([f('x')], { x: '../../etc' });
    expect(dirs.x).toBe('x');
  });
  it('keeps ../ names inside', () => {
    const dirs = assignFolderDirs([f('../escape'), f('a/../../b'), f('..')]);
    for (const d of Object.values(dirs)) {
      expect(isSafeRelativeDir(d)).toBe(true);
      expect(d.split('/')).not.toContain('..');
    }
    expect(dirs['../escape']).toBe('__/escape');
  });
});
