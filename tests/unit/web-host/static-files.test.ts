import { describe, expect, it } from 'vitest';
import { resolveStaticPath } from '../../../electron/web-host/static-files';

describe('web host static files', () => {
  it('never resolves outside the renderer folder', () => {
    expect(resolveStaticPath('/srv/r', '/')).toBe('/srv/r/index.html');
    expect(resolveStaticPath('/srv/r', '/assets/a.js')).toBe('/srv/r/assets/a.js');
    expect(resolveStaticPath('/srv/r', '/../etc/passwd')).toBe('/srv/r/etc/passwd'); // clamped at the root, like a browser
    for (const evil of ['/%2e%2e/etc/passwd', '/a/..%2f..%2fx', '/..%2f..%2f..%2fetc/passwd', '//etc/passwd']) {
      const r = resolveStaticPath('/srv/r', evil);
      expect(r === null || r.startsWith('/srv/r/')).toBe(true);
    }
    expect(resolveStaticPath('/srv/r', '/a%5c..%5cx')).toBeNull();
    expect(resolveStaticPath('/srv/r', '/%00')).toBeNull();
    expect(resolveStaticPath('/srv/r', '/%E0%A4%A')).toBeNull();
  });
});
