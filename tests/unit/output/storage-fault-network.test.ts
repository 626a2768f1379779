import { expect, it } from 'vitest';
import { mapSocketError } from '../../../electron/engine/mirror/net-errors';
import { storageFault } from '../../../electron/engine/output/storage-fault';

/**
 * EPERM and EACCES come from sockets too: on Linux connect() says EPERM when a local firewall drops
 * the SYN. That is one book's network failure, not the output folder: it used to stop the whole job
 * as OUTPUT_NOT_WRITABLE, telling the user to fix the permissions of the mirror's remote path.
 */
const socketError = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code} 127.0.0.1:21`), { code, errno: -1, syscall, address: '127.0.0.1', port: 21 });

it.each([
  ['EPERM', 'connect'],
  ['EACCES', 'connect'],
])('a socket %s (%s) is no storage fault', (code, syscall) => {
  const err = mapSocketError(socketError(code, syscall), { host: '127.0.0.1', ebook: 418, path: '/4/1/418/418-0.txt' });
  expect(storageFault(err, '/home/u/corpus')).toBeNull();
});

it('a file this user may not write still is, naming the file and never a remote path', () => {
  const fsErr = Object.assign(new Error("EACCES: permission denied, open '/home/u/corpus/manifest.jsonl'"), { code: 'EACCES', errno: -13, syscall: 'open', path: '/home/u/corpus/manifest.jsonl' });
  const fault = storageFault(fsErr, '/home/u/corpus', { ebook: 418 });
  expect(fault?.code).toBe('OUTPUT_NOT_WRITABLE');
  expect(fault?.message).toContain('/home/u/corpus/manifest.jsonl');
});
