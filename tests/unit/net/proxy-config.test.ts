import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFor } from '../../../electron/engine/net/proxy-config';
import { checkProxySetting } from '../../../shared/proxy-setting';

describe('proxy choice (curl rules)', () => {
  const env = { HTTPS_PROXY: 'http://secure-proxy:3128', http_proxy: 'plain-proxy:8080', HTTP_PROXY: 'http://ignored:1' };
  it('HTTPS_PROXY for https, HTTP_PROXY for http (lower case first), none for other schemes', () => {
    expect(proxyFor('https://mirror.example/', 'env', env)?.host).toBe('secure-proxy:3128');
    expect(proxyFor('http://mirror.example/', 'env', env)?.host).toBe('plain-proxy:8080');
    expect(proxyFor('ftp://mirror.example/', 'env', env)).toBeNull();
    expect(proxyFor('https://mirror.example/', 'env', {})).toBeNull();
  });
  it('a setting overrides the environment; none ignores it; NO_PROXY applies to both', () => {
    expect(proxyFor('https://m.example/', 'http://ui-proxy:1', env)?.host).toBe('ui-proxy:1');
    expect(proxyFor('https://m.example/', 'none', env)).toBeNull();
    expect(proxyFor('https://m.example/', 'http://ui-proxy:1', { NO_PROXY: 'example' })).toBeNull();
  });
  it('NO_PROXY: names with their subdomains, leading dot or *., host:port, IPs, *', () => {
    const u = (s: string) => new URL(s);
    expect(bypassesProxy(u('https://a.example.org/'), 'example.org')).toBe(true);
    expect(bypassesProxy(u('https://example.org/'), '.example.org')).toBe(true);
    expect(bypassesProxy(u('https://b.example.org/'), '*.example.org')).toBe(true);
    expect(bypassesProxy(u('https://notexample.org/'), 'example.org')).toBe(false);
    expect(bypassesProxy(u('http://127.0.0.1:8080/'), 'localhost, 127.0.0.1:8080')).toBe(true);
    expect(bypassesProxy(u('http://127.0.0.1:9090/'), '127.0.0.1:8080')).toBe(false);
    expect(bypassesProxy(u('https://[::1]/'), '[::1]')).toBe(true);
    expect(bypassesProxy(u('https://x.y/'), '*')).toBe(true);
    expect(bypassesProxy(u('https://x.y/'), '')).toBe(false);
  });
  it('a bad proxy says which setting is wrong', () => {
    expect(() => proxyFor('https://m.example/', 'env', { HTTPS_PROXY: 'socks5://127.0.0.1:1080' })).toThrow(/HTTPS_PROXY \(socks5:\/\/127\.0\.0\.1:1080\): only http:\/\/ proxies/);
    expect(checkProxySetting('env')).toBeNull();
    expect(checkProxySetting('proxy.lan:3128')).toBeNull();
    // SOCKS5 is for FTP mirrors (an HTTP mirror with one is refused when the mirror opens).
    expect(checkProxySetting('socks5://h:1')).toBeNull();
    expect(checkProxySetting('socks5h://user:pw@h')).toBeNull();
    expect(checkProxySetting('socks5://')).toMatch(/write socks5:\/\/host:port/);
    expect(checkProxySetting('socks4://h:1')).toMatch(/only http:\/\/ proxies \(HTTP mirrors\) and socks5:\/\/ \(FTP mirrors\)/);
    expect(checkProxySetting('http://')).toMatch(/not a proxy/);
  });
});
