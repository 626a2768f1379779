import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkOutputFolder } from '../../../electron/engine/inputs/file-checks';

describe.skipIf(process.platform !== 'linux' || !existsSync('/proc/self'))('checkOutputFolder: folders on a virtual file system', () => {
  it.each([
    ['/proc/fanout-x', '/proc', 'proc'],
    ['/proc/fanout-x/corpus', '/proc', 'proc'],
    ['/sys/fanout-x', '/sys', 'sysfs'],
  ])('%s is refused, naming the file system', async (path, where, fs) => {
    expect(await checkOutputFolder(path)).toBe(`cannot be created: ${where} is on the kernel's ${fs} file system, which holds no files; choose another folder`);
  });

  it('/proc itself: the same, as a folder that exists', async () => {
    expect(await checkOutputFolder('/proc')).toBe("is on the kernel's proc file system, which holds no files; choose another folder");
  });

  it('an ordinary folder is accepted', async () => {
    expect(await checkOutputFolder('/tmp/fanout-output-check-x')).toBeNull();
  });
});
