import { startFtpServer, type FtpServer } from './ftp-server';
import { startProftpd } from './proftpd-server';
import { startPureFtpd } from './pure-ftpd-server';

/** The FTP servers of the interop matrix. */
export const FTP_SERVER_KINDS = ['vsftpd', 'pure-ftpd', 'proftpd'] as const;
export type FtpServerKind = (typeof FTP_SERVER_KINDS)[number];

export interface AnyFtpServerOptions {
  /** Folder served read-only. */
  root: string;
  /** Sessions from one address (vsftpd `max_per_ip`, pure-ftpd `-C`, proftpd `MaxClientsPerHost`). */
  maxPerIp?: number;
  /** pure-ftpd `-c`: sessions in all. */
  maxClients?: number;
}

/** Starts one server of the matrix, anonymous (pure-ftpd: one virtual user) and read-only. */
export function startFtpServerOf(kind: FtpServerKind, opts: AnyFtpServerOptions): Promise<FtpServer> {
  switch (kind) {
    case 'vsftpd':
      return startFtpServer({ root: opts.root, maxPerIp: opts.maxPerIp });
    case 'pure-ftpd':
      return startPureFtpd(opts);
    case 'proftpd':
      return startProftpd(opts);
  }
}
