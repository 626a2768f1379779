import { hostLimitKey } from '../net/host-limits';

/**
 * What the sessions of one job have learnt about an FTP server, shared by all of them:
 *
 * - `transfers`: may commands be written to a control connection while a transfer runs? `unknown`
 *   until shown: the first transfer carries one `NOOP` probe; answered in order (226, then 200),
 *   the server is `pipelined` (the next books' EPSV + RETR are queued ahead of the transfer). A
 *   reply that does not fit its command, at any time, makes it `lockStep` for the rest of the job:
 *   commands are written only while no transfer runs (the listings and one transfer per write,
 *   as in `unknown`), never during one. pure-ftpd is such a server: it reads the control
 *   connection during a transfer and answers what it read with `500 Unknown command`, ahead of the
 *   transfer's `226`. Commands written while the server is idle (the login, STATs, EPSV + RETR)
 *   are read in order by every server tested.
 * - `loggedIn`: control connections logged in now. A connection the server closes during login
 *   while others are logged in is its session limit (proftpd's `MaxClientsPerHost` closes after a
 *   530), not a network fault.
 *
 * A probe can pass wrongly (a transfer so short that it ended before the NOOP was read): every
 * reply is still checked against its command, so such a server is caught at its first misfit.
 */
export type TransferPipelining = 'unknown' | 'pipelined' | 'lockStep';

export interface FtpHostState {
  transfers: TransferPipelining;
  loggedIn: number;
  /** Set once a probe is on its way (one per job). */
  probing: boolean;
  /** Called once when the server turns out to need lock-step (to remember it in the settings). */
  onLockStep?: (host: string, reason: string) => void;
}

export function newFtpHostState(opts: { lockStep?: boolean; onLockStep?: (host: string, reason: string) => void } = {}): FtpHostState {
  return { transfers: opts.lockStep ? 'lockStep' : 'unknown', loggedIn: 0, probing: false, onLockStep: opts.onLockStep };
}

/** Marks the server lock-step for the rest of the job (idempotent; the hook runs once). */
export function markLockStep(state: FtpHostState, host: string, reason: string): void {
  if (state.transfers === 'lockStep') return;
  state.transfers = 'lockStep';
  state.onLockStep?.(host, reason);
}

/**
 * Verdicts kept across jobs (the hosts give one to a job through its JobControl; see
 * jobs/host-memory.ts): a server known to need lock-step starts that way, without a probe.
 */
export interface RememberedFtpHosts {
  isLockStep(hostKey: string): Promise<boolean>;
  rememberLockStep(hostKey: string, reason: string): Promise<void>;
}

/** `host:port` of an FTP(S) mirror URL (the key of its verdicts); null for other protocols. */
export function ftpHostKey(mirrorUrl: string): string | null {
  // The connection-limit key without its scheme (the lock-step verdicts were stored under host:port first).
  const key = hostLimitKey(mirrorUrl);
  return key?.startsWith('ftp://') ? key.slice('ftp://'.length) : null;
}
