/**
 * Which HTTP proxy a request to a mirror goes through, curl's way: the job's setting (`env`: from
 * the environment; `none`; or a proxy URL given in the UI or on the command line), `HTTPS_PROXY`
 * for https:// targets and `HTTP_PROXY` for http:// ones (lower-case names first, as curl), and
 * `NO_PROXY` for hosts that go direct either way.
 */
import { parseProxyUrl } from '../../../shared/proxy-setting';
import { FanoutError } from '../core/fanout-error';

export type ProxySetting = 'env' | 'none' | (string & {});

export type ProxyEnv = Record<string, string | undefined>;

/** The proxy for `target` (a URL or an origin), or null to connect directly. */
export function proxyFor(target: string | URL, setting: ProxySetting = 'env', env: ProxyEnv = process.env): URL | null {
  if (setting === 'none') return null;
  const url = typeof target === 'string' ? new URL(target) : target;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  if (bypassesProxy(url, noProxy)) return null;
  const name = setting !== 'env' ? 'the proxy setting' : url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const raw = setting !== 'env' ? setting : url.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY) : (env.http_proxy ?? env.HTTP_PROXY);
  if (!raw) return null;
  try {
    return parseProxyUrl(raw);
  } catch (err) {
    throw new FanoutError('BAD_INPUT', `${name} (${raw}): ${err instanceof TypeError ? 'not a URL' : (err as Error).message}`, { host: url.hostname });
  }
}

/**
 * NO_PROXY: a comma- or space-separated list of host names (each matching itself and its
 * subdomains; a leading `.` or `*.` means the same), IP addresses, `host:port`, or `*` for all.
 */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    const name = m[1]!.replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    if (m[2] && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}
