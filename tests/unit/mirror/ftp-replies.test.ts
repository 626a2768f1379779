import { describe, expect, it } from 'vitest';
import { FTPError, type FTPResponse } from 'basic-ftp';
import { announcedSize, fitsAnnounced, loginVerdict, mdtmTime, preliminaryFits, preliminaryNames, replyFits, saysNoSuchFile, saysServerFull, statOutcome } from '../../../electron/engine/mirror/ftp-replies';
import { mapFtpError } from '../../../electron/engine/mirror/ftp-errors';
import { commandWrite, statCommand, transferCommands } from '../../../electron/engine/mirror/ftp-command-lines';

describe('replyFits: a reply must be one its command can get', () => {
  it('accepts the answers each command can have', () => {
    expect(replyFits('STAT', 213)).toBe(true);
    expect(replyFits('STAT', 212)).toBe(true);
    expect(replyFits('STAT', 450)).toBe(true);
    expect(replyFits('EPSV', 229)).toBe(true);
    expect(replyFits('REST', 350)).toBe(true);
    expect(replyFits('RETR', 226)).toBe(true);
    expect(replyFits('RETR', 550)).toBe(true);
    expect(replyFits('RETR', 426)).toBe(true);
    expect(replyFits('NOOP', 200)).toBe(true);
    expect(preliminaryFits('RETR', 150)).toBe(true);
  });
  it('refuses replies out of step: pure-ftpd\'s 500 during a transfer, another command\'s success', () => {
    expect(replyFits('RETR', 500)).toBe(false); // what pure-ftpd sends ahead of the 226
    expect(replyFits('RETR', 229)).toBe(false);
    expect(replyFits('RETR', 213)).toBe(false);
    expect(replyFits('EPSV', 226)).toBe(false);
    expect(replyFits('EPSV', 213)).toBe(false);
    expect(replyFits('REST', 229)).toBe(false);
    expect(replyFits('STAT', 229)).toBe(false);
    expect(replyFits('NOOP', 226)).toBe(false);
    expect(replyFits('NOOP', 500)).toBe(false);
    expect(preliminaryFits('EPSV', 150)).toBe(false);
    expect(preliminaryFits(undefined, 150)).toBe(false);
  });
  it('MDTM (a guess\'s, written only to an idle server): 213, or any refusal, 500 included (MDTM unknown there), never another command\'s success', () => {
    expect(replyFits('MDTM', 213)).toBe(true);
    expect(replyFits('MDTM', 500)).toBe(true);
    expect(replyFits('MDTM', 502)).toBe(true);
    expect(replyFits('MDTM', 550)).toBe(true);
    expect(replyFits('MDTM', 229)).toBe(false);
    expect(replyFits('MDTM', 226)).toBe(false);
    expect(replyFits('MDTM', 150)).toBe(false);
    // Written behind a transfer (a server shown to read commands in order during one): a 500 is a
    // command read during the transfer and answered out of turn, as pure-ftpd does; refusals still fit.
    expect(replyFits('MDTM', 500, true)).toBe(false);
    expect(replyFits('MDTM', 550, true)).toBe(true);
    expect(replyFits('MDTM', 213, true)).toBe(true);
    expect(mdtmTime('213 20241121202805')).toBe('mdtm:20241121202805');
    expect(mdtmTime('213 20241121202805.123')).toBe('mdtm:20241121202805'); // fractions dropped (RFC 3659 allows them)
    expect(mdtmTime('550 Permission denied')).toBeNull();
    expect(mdtmTime('213 1700000000')).toBeNull();
  });
});

describe('what real servers say', () => {
  it('STAT of a missing folder: vsftpd/pure-ftpd list nothing, proftpd says 450 No such file', () => {
    expect(statOutcome(450, '450 /9/9/990: No such file or directory').kind).toBe('missing');
    expect(statOutcome(550, '550 No such file').kind).toBe('missing');
    // STAT denied (vsftpd cmds_denied=STAT) is not a missing folder: list with LIST instead.
    expect(statOutcome(550, '550 Permission denied.').kind).toBe('unsupported');
    expect(statOutcome(213, '213-STAT\r\n213 End.')).toEqual({ kind: 'listing', entries: [] });
    expect(statOutcome(450, '450 Internal error').kind).toBe('refused');
    expect(statOutcome(211, '211 Server status').kind).toBe('unsupported');
  });
  it('ProFTPD with STAT denied (<Limit STAT> DenyAll) answers a 212 with no lines at all: unusable (LIST), not an empty folder', () => {
    // Measured (s18): denied, any path that exists: '212-Status of /d:' then '212 End of status'.
    // Allowed, a folder always lists '.' and '..' (an empty one too); a missing one is a 450.
    expect(statOutcome(212, '212-Status of /d:\r\n212 End of status').kind).toBe('unsupported');
    const allowedEmpty = '212-Status of /d/e:\r\n drwxr-xr-x   2 root     root         4096 Dec  3 15:54 .\r\n drwxr-xr-x   3 root     root         4096 Dec  3 15:54 ..\r\n212 End of status';
    expect(statOutcome(212, allowedEmpty)).toEqual({ kind: 'listing', entries: [] });
    // vsftpd and pure-ftpd answer 213 and list a missing folder as empty: still a listing (BOOK_NOT_FOUND, no LIST).
    expect(statOutcome(213, '213-Status follows:\r\n213 End of status').kind).toBe('listing');
  });
  it('maps 450/550 "No such file or directory" to not found, a plain 450 to transient', () => {
    expect(mapFtpError(new FTPError({ code: 450, message: '450 /x: No such file or directory' }), 'transfer', {}).code).toBe('FTP_NOT_FOUND');
    expect(mapFtpError(new FTPError({ code: 450, message: '450 Requested file action not taken' }), 'transfer', {}).code).toBe('FTP_TRANSIENT');
    expect(saysNoSuchFile("550 Can't check for file existence")).toBe(true);
  });
  it('maps "server full" in each server\'s words to TOO_MANY_CONNECTIONS, a wrong password to AUTH_FAILED', () => {
    const full = [
      [530, '530 Sorry, the maximum number of clients (3) from your host are already connected.'], // proftpd MaxClientsPerHost
      [530, '530 Sorry, the maximum number of allowed clients (10) are already connected.'], // proftpd MaxClients
      [421, '421 Too many connections (3) from this IP'], // pure-ftpd -C
      [421, '421 50 users (the maximum) are already logged in, sorry'], // pure-ftpd -c
      [421, '421 There are too many connections from your internet address.'], // vsftpd max_per_ip
      [421, '421 There are too many connected users, please try later.'], // vsftpd max_clients
    ] as const;
    for (const [code, message] of full) {
      expect(saysServerFull(code, message), message).toBe(true);
      expect(mapFtpError(new FTPError({ code, message }), 'login', {}).code, message).toBe('TOO_MANY_CONNECTIONS');
    }
    expect(mapFtpError(new FTPError({ code: 530, message: '530 Login authentication failed' }), 'login', {}).code).toBe('AUTH_FAILED');
    expect(mapFtpError(new FTPError({ code: 530, message: '530 Login incorrect.' }), 'login', {}).code).toBe('AUTH_FAILED');
    expect(saysServerFull(421, '421 Too many authentication failures')).toBe(false); // pure-ftpd: a login problem
  });
});

describe('preliminaryNames: a 150 must be about the book it is matched to', () => {
  it("checks the file vsftpd and ProFTPD name (not the size: the book's own file, changed since its listing); accepts replies that name none", () => {
    const p = '/4/1/418/418-0.txt';
    expect(preliminaryNames('150 Opening BINARY mode data connection for /4/1/418/418-0.txt (310639 bytes).', p)).toBe(true); // vsftpd
    expect(preliminaryNames('150 Opening BINARY mode data connection for /4/1/418/418-0.txt (310639 bytes)', p)).toBe(true); // ProFTPD
    expect(preliminaryNames('150 Opening BINARY mode data connection for /5/5-0.txt (310639 bytes).', p)).toBe(false); // another book's
    expect(preliminaryNames('150 Opening BINARY mode data connection for /4/1/418/418-0.txt (999 bytes).', p)).toBe(true); // another size: the file changed (the byte count fails the book)
    expect(preliminaryNames('150-Accepted data connection\n150 292.9 kbytes to download', p)).toBe(true); // pure-ftpd
  });
});

describe('command lines of a batch', () => {
  it('builds a transfer (REST only when resuming) and refuses a line that would split', () => {
    expect(transferCommands('/4/1/418/418-0.txt', 0).map((c) => c.line)).toEqual(['EPSV', 'RETR /4/1/418/418-0.txt']);
    expect(transferCommands('/4/1/418/418-0.txt', 100).map((c) => c.cmd)).toEqual(['EPSV', 'REST', 'RETR']);
    expect(commandWrite([statCommand('/4/1/418'), ...transferCommands('/a', 0)])).toBe('STAT /4/1/418\r\nEPSV\r\nRETR /a\r\n');
    expect(() => commandWrite([statCommand('/x\r\nDELE /y')])).toThrow(/control character/);
  });
});

describe('loginVerdict: what the pipelined login replies say so far', () => {
  const ok = (code: number, message = `${code} ok`): FTPResponse => ({ code, message });
  const no = (code: number, message = `${code} no`) => new FTPError({ code, message });
  it('waits for TYPE, and is ok once it is accepted (OPTS UTF8 refused is harmless)', () => {
    expect(loginVerdict([no(504)])).toBe('wait');
    expect(loginVerdict([no(504), ok(331)])).toBe('wait');
    expect(loginVerdict([no(504), ok(331), ok(230)])).toBe('wait');
    expect(loginVerdict([no(504), ok(331), ok(230), ok(200)])).toBe('ok');
    expect(loginVerdict([ok(200), ok(230), no(503), ok(200)])).toBe('ok');
  });
  it('ends at the refusal of USER or of a needed PASS (the rest is not waited for)', () => {
    const user = no(530, '530 This FTP server is anonymous only.');
    expect(loginVerdict([ok(200), user])).toBe(user);
    const pass = no(530, '530 Login incorrect.');
    expect(loginVerdict([ok(200), ok(331), pass])).toBe(pass);
    const full = no(421, '421 Too many connections');
    expect(loginVerdict([ok(200), ok(331), full])).toBe(full);
  });
  it('refuses TYPE, and a USER reply that is neither 230 nor 331, as a login not completed', () => {
    const type = no(530, '530 Please login with USER and PASS.');
    expect(loginVerdict([ok(200), ok(331), ok(230), type])).toBe(type);
    const odd = loginVerdict([ok(200), ok(332, '332 Need account'), ok(202), ok(200)]);
    expect(odd).toBeInstanceOf(FTPError);
    expect((odd as FTPError).code).toBe(530);
  });
});

describe('announcedSize / fitsAnnounced: what a 150 says of a transfer of unknown size', () => {
  it('reads the three servers’ wordings', () => {
    expect(announcedSize(['150 Opening BINARY mode data connection for /5/0/0/5001/5001-0.txt (200000 bytes).'])).toEqual({ bytes: 200_000 }); // vsftpd
    expect(announcedSize(['150 Opening BINARY mode data connection for /d/4000-0.txt (100 bytes)'])).toEqual({ bytes: 100 }); // ProFTPD
    expect(announcedSize(['150-Accepted data connection\n150 195.3 kbytes to download'])).toEqual({ kbytes: 195.3 }); // pure-ftpd, over 4096 bytes
    expect(announcedSize(['150-Accepted data connection\n150 The computer is your friend. Trust the computer'])).toBeNull(); // pure-ftpd, small
    expect(announcedSize(['125 Data connection already open; transfer starting.'])).toBeNull();
  });
  it('bytes exactly; kbytes to their printed tenth (52 bytes)', () => {
    expect(fitsAnnounced(200_000, { bytes: 200_000 })).toBe(true);
    expect(fitsAnnounced(199_999, { bytes: 200_000 })).toBe(false);
    expect(fitsAnnounced(200_000, { kbytes: 195.3 })).toBe(true);
    expect(fitsAnnounced(60_000, { kbytes: 195.3 })).toBe(false);
    expect(fitsAnnounced(10_000_000, { kbytes: 9765.6 })).toBe(true);
  });
});

describe('replies a server may vary', () => {
  it('RETR: 226 or 250 completes it, 125 or 150 starts it', () => {
    expect(replyFits('RETR', 226)).toBe(true);
    expect(replyFits('RETR', 250)).toBe(true);
    expect(preliminaryFits('RETR', 150)).toBe(true);
    expect(preliminaryFits('RETR', 125)).toBe(true);
    expect(preliminaryFits('STAT', 150)).toBe(false);
  });
});
