/**
 * A job's proxy setting as typed: `env` (HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment,
 * the default), `none`, an HTTP proxy URL (`http://host:3128`, or just `host:3128`) for HTTP
 * mirrors, or a SOCKS5 one (`socks5://host:1080`) for FTP mirrors.
 */
export function parseProxyUrl(raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:') throw new Error(`only http:// proxies (HTTP mirrors) and socks5:// (FTP mirrors) are supported, not ${url.protocol}//`);
  return url;
}

/** `socks5://…` or `socks5h://…`: a SOCKS5 proxy, for FTP mirrors (an HTTP mirror takes an http:// one). */
export function isSocks5Url(value: string): boolean {
  return /^socks5h?:\/\//i.test(value);
}

/** A problem with a typed proxy setting (for a field or a flag), or null. */
export function checkProxySetting(value: string): string | null {
  if (value === 'env' || value === 'none') return null;
  if (isSocks5Url(value)) {
    try {
      if (new URL(value).hostname) return null;
    } catch {
      // below
    }
    return `"${value}" is not a proxy: write socks5://host:port`;
  }
  try {
    parseProxyUrl(value);
    return null;
  } catch (err) {
    return `"${value}" is not a proxy: ${err instanceof TypeError ? 'write http://host:port, env or none' : (err as Error).message}`;
  }
}

/**
 * A mail account's proxy: `socks5://`, `socks4://`, `socks://` or `http://` (CONNECT), as imapflow
 * takes them. A problem, or null.
 */
export function checkMailProxy(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a proxy URL: write e.g. socks5://127.0.0.1:1080`;
  }
  if (!['socks5:', 'socks4:', 'socks:', 'http:'].includes(url.protocol)) return `${url.protocol}// proxies are not supported for mail: use socks5://, socks4:// or http://`;
  if (!url.hostname) return `"${value}" names no proxy host`;
  return null;
}
