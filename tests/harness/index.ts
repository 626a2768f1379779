/**
 * Test and benchmark harness for mirrors: real local servers, no mocks. See README.md.
 * (Mail's Dovecot harness lives in dovecot*.ts and is not re-exported here.)
 */
export { startFtpServer, fanoutServersDir, type FtpServer, type VsftpdServer, type FtpServerOptions, type FtpTlsOptions } from './ftp-server';
export { startFtpServerOf, FTP_SERVER_KINDS, type FtpServerKind, type AnyFtpServerOptions } from './ftp-servers';
export { startPureFtpd, PURE_FTPD_USER, PURE_FTPD_PASSWORD, type PureFtpdOptions } from './pure-ftpd-server';
export { startProftpd, type ProftpdOptions } from './proftpd-server';
export { startHttpServer, type HttpServer, type HttpServerOptions, type HttpHooks, type HttpRequestRecord } from './http-server';
export { startNginxServer, type NginxServer, type NginxServerOptions } from './nginx-server';
export { startApacheServer, type ApacheServer, type ApacheServerOptions } from './apache-server';
export { startTcpProxy, type TcpProxy, type TcpProxyOptions, type DropRule, type ProxyStats } from './tcp-proxy';
export { slowBooks, type SlowRule } from './slow-transfers';
export {
  generateMirror,
  makeBookSpecs,
  bookText,
  gutenbergDir,
  sha256,
  type MirrorBookSpec,
  type MirrorFileForm,
  type GeneratedMirror,
  type GeneratedBook,
  type GeneratedFile,
} from './mirror-gen';
export { buildZip, type ZipEntryInput } from './zip-writer';
export { recordFsyncs, durableRename, type SyncEvent } from './fsync-recorder';
export { freePort, waitForPort, delay } from './net-util';
export { makeSelfSignedCert, type SelfSignedCert, type SelfSignedCertOptions } from './tls-cert';
