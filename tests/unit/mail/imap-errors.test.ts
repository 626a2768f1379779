import { describe, expect, it } from 'vitest';
import { mapImapError } from '../../../electron/engine/mail/imap-errors';

describe('mapImapError', () => {
  it('recognises login refusals, too many connections, TLS and refused sockets', () => {
    expect(mapImapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'Authentication failed.' }), 'h:1').code).toBe('AUTH_FAILED');
    expect(mapImapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'Maximum number of connections from user+IP exceeded' }), 'h:1').code).toBe('TOO_MANY_CONNECTIONS');
    // Cyrus's maxlogins_per_user answer (was AUTH_FAILED: a fixed N over the limit failed its chunks).
    expect(mapImapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'Too many open connections (3 of 3 for fanout)' }), 'h:1').code).toBe('TOO_MANY_CONNECTIONS');
    expect(mapImapError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'h:1').code).toBe('TLS_FAILED');
    expect(mapImapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'h:1').code).toBe('CONNECTION_REFUSED');
    expect(mapImapError(Object.assign(new Error('x'), { code: 'ETHROTTLE' }), 'h:1').code).toBe('THROTTLED');
    expect(mapImapError(Object.assign(new Error('Command failed'), { responseText: '[OVERQUOTA] Quota exceeded' }), 'h:1').code).toBe('OVER_QUOTA');
    expect(mapImapError(Object.assign(new Error('Connection not available'), { code: 'NoConnection', reason: 'Server shutting down' }), 'h:1').code).toBe('SERVER_BYE');
    expect(mapImapError(Object.assign(new Error('Connection not available'), { code: 'NoConnection' }), 'h:1').code).toBe('CONNECTION_RESET');
    expect(mapImapError(new Error('x'), 'h:1').context.host).toBe('h:1');
  });
});
