import { describe, expect, it } from 'vitest';
import * as undici from 'undici';
import { Client, buildConnector } from '../../../electron/engine/mirror/undici-parts';

// The mirror loads two files of undici directly (not its index, for start-up time): they must
// still be the very Client and buildConnector undici exports (an upgrade that moves them fails here).
describe('undici parts', () => {
  it('are the ones undici exports', () => {
    expect(Client).toBe(undici.Client);
    expect(buildConnector).toBe(undici.buildConnector);
  });
});
