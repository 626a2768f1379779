import { FTPError, type FTPResponse } from 'basic-ftp';
import { loginVerdict } from './ftp-replies';

/**
 * A fresh plain-FTP session's login, written in the same write as its first batch's commands
 * (ftp-batch.ts): `OPTS UTF8 ON`, `USER`, `PASS`, `TYPE I`, then the STATs and the first guessed
 * `EPSV` + `RETR`. The first RETR leaves one round trip sooner than after a login of its own.
 * Servers read commands in order (RFC 959); vsftpd, pure-ftpd and ProFTPD answer a batch written
 * behind PASS in order (tests/integration/mirror/ftp-login-batch.test.ts).
 *
 * The first four final replies are the login's (`loginVerdict`, as for pipelinedLogin); only
 * then are replies matched to the batch's commands. A refused login ends the batch with the
 * refusal: nothing the batch sent is done or waited for (a server not logged in refuses them; the
 * connection is closed, so no later reply can be taken for a book), and the session reports it
 * as a login error, as when the login went alone.
 */
export class BatchLogin {
  private readonly replies: Array<FTPResponse | FTPError> = [];
  private written = false;
  /** Every login reply came and the login was accepted. */
  done = false;

  constructor(
    private readonly commands: string[],
    /** Called once, when the login is accepted (the session counts it as logged in). */
    private readonly onLoggedIn: () => void,
  ) {}

  /** The login's bytes for the batch's first write, once ('' after). */
  take(): string {
    if (this.written) return '';
    this.written = true;
    return this.commands.map((c) => `${c}\r\n`).join('');
  }

  /** A reply while the login is not done: 'wait' (more login replies due), 'ok' (logged in now), or the refusal. */
  onReply(res: FTPResponse | FTPError): 'wait' | 'ok' | FTPError {
    if (!(res instanceof FTPError) && res.code < 200) return 'wait'; // preliminary: none expected, nothing to match
    this.replies.push(res);
    const verdict = loginVerdict(this.replies);
    if (verdict === 'ok') {
      this.done = true;
      this.onLoggedIn();
    }
    return verdict;
  }
}
