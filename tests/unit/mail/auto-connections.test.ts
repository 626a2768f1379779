import { describe, expect, it } from 'vitest';
import { asConnectionLimit, MailAutoController, OpenSessions } from '../../../electron/engine/mail/auto-connections';
import { mapImapError } from '../../../electron/engine/mail/imap-errors';

/** What imapflow throws when the server closes the socket before the login completed (Courier over -maxperip). */
const closedEarly = () => mapImapError(Object.assign(new Error('Unexpected close'), { code: 'ClosedAfterConnectText' }), 'h:1');

describe('mail auto connections', () => {
  it('a connection closed before login is the server limit only while ours are logged in', () => {
    expect(closedEarly().code).toBe('CONNECTION_RESET');
    expect((asConnectionLimit(closedEarly(), false) as { code: string }).code).toBe('CONNECTION_RESET');
    expect((asConnectionLimit(closedEarly(), true) as { code: string }).code).toBe('TOO_MANY_CONNECTIONS');
    // A BYE with a reason says why: mapped on its own merits, not guessed to be a limit.
    const bye = mapImapError(Object.assign(new Error('Unexpected close'), { code: 'ClosedAfterConnectText', reason: 'Server shutting down' }), 'h:1');
    expect((asConnectionLimit(bye, true) as { code: string }).code).toBe(bye.code);
  });

  it('counts sessions from login to close, and a refusal caps N at the sessions open plus those connecting', async () => {
    const sessions = new OpenSessions();
    const c = new MailAutoController({ start: 2, max: 16 }, sessions);
    const fake = () => ({ close: async () => undefined });
    const a = await sessions.open(async () => fake());
    await sessions.open(async () => fake());
    let accept!: () => void;
    const pending = sessions.open(() => new Promise<ReturnType<typeof fake>>((r) => (accept = () => r(fake()))));
    expect(sessions.now).toBe(2);
    expect(sessions.opening).toBe(1);
    // Closed at connect (Courier): the pool saw 2 proven sessions; the third, accepted in the same step, is still logging in.
    const refusedEarly = await sessions.open(() => Promise.reject(closedEarly())).catch((e: unknown) => e);
    expect((refusedEarly as { code: string }).code).toBe('TOO_MANY_CONNECTIONS');
    expect(sessions.lastRefusedAtConnect).toBe(true);
    expect(c.refused(100, 2)?.why).toMatch(/refused connection 4: at most 3/);
    expect(c.limit).toBe(3);
    accept();
    await pending;
    await a.close();
    await a.close();
    expect(sessions.now).toBe(2);
  });

  it('a LOGIN refused (logins one after the other) caps N at the sessions logged in, not those waiting to log in', async () => {
    const sessions = new OpenSessions({ serialLogins: true });
    const c = new MailAutoController({ start: 2, max: 16 }, sessions);
    const fake = () => ({ close: async () => undefined });
    for (let i = 0; i < 3; i++) await sessions.open(async () => fake());
    // Two more wait for their turn to LOGIN while the next one is refused.
    let release!: () => void;
    const turn = new Promise<void>((r) => (release = r));
    const waiting = [1, 2].map(() => sessions.open(async (gate) => (await gate?.after, await turn, fake())));
    const refusal = mapImapError(Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: '[LIMIT] Maximum number of connections from user+IP exceeded' }), 'h:1');
    await sessions.open(() => Promise.reject(refusal)).catch(() => undefined);
    expect(sessions.opening).toBe(2);
    expect(sessions.lastRefusedAtConnect).toBe(false);
    expect(c.refused(100, 1)?.why).toMatch(/at most 3/);
    release();
    await Promise.all(waiting);
  });
});
