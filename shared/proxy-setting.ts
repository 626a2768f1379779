/**
 * A job's proxy setting as typed: `env` (HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment,
 * the default), `none`, or an HTTP proxy URL (`http://host:3128`, or just `host:3128`).
 */
export function parseProxyUrl(raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:') throw new Error(`only http:// proxies are supported for mirrors, not ${url.protocol}//`);
  return url;
}

/** A problem with a typed proxy setting (for a field or a flag), or null. */
export function checkProxySetting(value: string): string | null {
  if (value === 'env' || value === 'none') return null;
  try {
    parseProxyUrl(value);
    return null;
  } catch (err) {
    return `"${value}" is not a proxy: ${err instanceof TypeError ? 'write http://host:port, env or none' : (err as Error).message}`;
  }
}
