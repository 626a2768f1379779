import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempPathFor } from '../../../electron/engine/output/atomic-file';
import { holdMessageFile, isTempName } from '../../../electron/engine/mail/message-file';

/**
 * A message's temp file is the atomic module's temp name (`tempPathFor`), beside the file, so the
 * clean-up of an interrupted run (`isTempName`) finds it; its random part comes from a pool instead
 * of a randomBytes call per name.
 */
describe('message temp names', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-temp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has the atomic temp shape, beside the file, and 1,200 of them (past a pool refill) are all different', () => {
    const abs = join(dir, 'uidvalidity-9', '1234.eml');
    const names = new Set<string>();
    for (let i = 0; i < 1200; i++) {
      const t = tempPathFor(abs);
      expect(dirname(t)).toBe(dirname(abs));
      expect(isTempName(basename(t))).toBe(true);
      expect(basename(t)).toMatch(/^\.1234\.eml\.[0-9a-f]{16}\.tmp$/);
      names.add(t);
    }
    expect(names.size).toBe(1200);
  });

  it('a message written leaves its file and no temp file', async () => {
    const abs = join(dir, '7.eml');
    (await holdMessageFile(abs, Buffer.from('Subject: x\r\n\r\nbody'), new Date(Date.UTC(2020, 0, 1)))).land();
    expect(readdirSync(dir)).toEqual(['7.eml']);
    expect(readFileSync(abs, 'utf8')).toBe('Subject: x\r\n\r\nbody');
  });
});
