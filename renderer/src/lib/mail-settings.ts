import type { Settings } from '../../../shared/ipc';

/**
 * The mail account as remembered in the settings: host, port, TLS mode, user and whether the
 * password is kept in the OS keychain. Built field by field, so nothing else (a password) can
 * slip into the settings file; host and user are trimmed.
 */
export function mailSettingsOf(mail: Settings['mail'] & { password?: unknown }): Settings['mail'] {
  return {
    host: mail.host.trim(),
    user: mail.user.trim(),
    tls: mail.tls,
    rememberPassword: mail.rememberPassword,
    ...(mail.port !== undefined ? { port: mail.port } : {}),
  };
}
