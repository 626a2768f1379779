import { describe, expect, it } from 'vitest';
import { startCyrus } from '../../harness/cyrus';

describe('the Cyrus harness', () => {
  it('stopping one Cyrus leaves another one (another test file\'s, beside it) serving its sessions', async () => {
    // Found under load: interop and verify (Cyrus) failed 'Connection not available' mid-test, 3 times in
    // 4 mail runs, the server having closed the admin connection. A Cyrus master shutting down signals its
    // process group, and every master was in ours (vitest's): stopping one file's Cyrus stopped the other
    // worker's too (its master exited with code 0).
    const a = await startCyrus();
    const b = await startCyrus();
    const admin = await a.connect();
    try {
      await b.stop();
      await new Promise((r) => setTimeout(r, 1000)); // a shutdown's signals are sent at once; give them time to land
      await admin.noop(); // before: 'Connection not available'
      expect(await admin.status('INBOX', { messages: true })).toMatchObject({ messages: 0 });
    } finally {
      await admin.logout().catch(() => undefined);
      await a.stop();
      await b.stop();
    }
  });
});
