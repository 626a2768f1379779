import { describe, expect, it } from 'vitest';
import type { FolderStore } from '../../../electron/engine/mail/folder-store';
import type { MailFolderInfo } from '../../../electron/engine/mail/folders';
import type { FolderState } from '../../../electron/engine/mail/generations';
import { stillUnopenable } from '../../../electron/engine/mail/plan-folder';

const info = (status: boolean): MailFolderInfo => ({
  path: 'Parent',
  name: 'Parent',
  delimiter: '/',
  parent: null,
  specialUse: null,
  flags: ['\\HasChildren'],
  selectable: true,
  messages: status ? 2 : null,
  unseen: null,
  uidNext: status ? 3 : null,
  uidValidity: status ? '1700000000' : null,
  highestModseq: status ? '5' : null,
  dir: 'Parent',
});
const store = (unopenable: FolderState['unopenable']) =>
  ({ state: { version: 1, path: 'Parent', generations: [{ uidValidity: '1600000000', dir: '' }], synced: null, ...(unopenable ? { unopenable } : {}) } }) as unknown as FolderStore;

describe('stillUnopenable (a folder an earlier run found unopenable, listed again)', () => {
  const mark = { since: '2026-12-03T07:00:00.000Z' };
  it('without STATUS and remembered unopenable: still so', () => {
    expect(stillUnopenable(info(false), store(mark))).toBe(true);
  });
  it('without STATUS, never found unopenable (a real folder whose STATUS failed, RFC 5819): not taken as unopenable', () => {
    expect(stillUnopenable(info(false), store(undefined))).toBe(false);
  });
  it('with STATUS (re-created on the server): not, whatever the mark says', () => {
    expect(stillUnopenable(info(true), store(mark))).toBe(false);
  });
  it('a STATUS with only some of the numbers is a STATUS: not', () => {
    expect(stillUnopenable({ ...info(false), messages: 0 }, store(mark))).toBe(false);
  });
});
