import { describe, expect, it } from 'vitest';
import { assignFolderDirs, isSafeRelativeDir, sanitizeSegment } from '../../../electron/engine/mail/folder-names';
import { chunkUids, toUidSet } from '../../../electron/engine/mail/uid-set';
import { mapImapError } from '../../../electron/engine/mail/imap-errors';
import { planLimitsFor } from '../../../electron/engine/mail/run-mail-job';

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

describe('uid sets', () => {
  it('compresses runs', () => {
    expect(toUidSet([5, 1, 2, 3, 9, 10, 12])).toBe('1:3,5,9:10,12');
    expect(toUidSet([7])).toBe('7');
  });
  it('chunks by count and bytes', () => {
    const list = Array.from({ length: 10 }, (_, i) => ({ uid: i + 1, size: i === 4 ? 1000 : 10 }));
    const chunks = chunkUids(list, 3, 100);
    expect(chunks.map((c) => c.uids)).toEqual([[1, 2, 3], [4], [5], [6, 7, 8], [9, 10]]);
  });
});

describe('plan limits', () => {
  it('keeps the bytes being received over all connections put: large messages go by pieces sooner with more connections', () => {
    const MiB = 1024 * 1024;
    expect(planLimitsFor(1).largeMessageBytes).toBe(4 * MiB);
    expect(planLimitsFor(4).largeMessageBytes).toBe(4 * MiB);
    expect(planLimitsFor(8).largeMessageBytes).toBe(2 * MiB);
    expect(planLimitsFor(8).partBytes).toBe(2 * MiB);
    expect(planLimitsFor(32).largeMessageBytes).toBe(MiB);
  });
});

describe('mapImapError', () => {
  it('recognises login refusals, too many connections, TLS and refused sockets', () => {
    expect(mapImapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'Authentication failed.' }), 'h:1').code).toBe('AUTH_FAILED');
    expect(mapImapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'Maximum number of connections from user+IP exceeded' }), 'h:1').code).toBe('TOO_MANY_CONNECTIONS');
    expect(mapImapError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'h:1').code).toBe('TLS_FAILED');
    expect(mapImapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'h:1').code).toBe('CONNECTION_REFUSED');
    expect(mapImapError(Object.assign(new Error('x'), { code: 'ETHROTTLE' }), 'h:1').code).toBe('THROTTLED');
    expect(mapImapError(Object.assign(new Error('Command failed'), { responseText: '[OVERQUOTA] Quota exceeded' }), 'h:1').code).toBe('OVER_QUOTA');
    expect(mapImapError(Object.assign(new Error('Connection not available'), { code: 'NoConnection', reason: 'Server shutting down' }), 'h:1').code).toBe('SERVER_BYE');
    expect(mapImapError(Object.assign(new Error('Connection not available'), { code: 'NoConnection' }), 'h:1').code).toBe('CONNECTION_RESET');
    expect(mapImapError(new Error('x'), 'h:1').context.host).toBe('h:1');
  });
});
