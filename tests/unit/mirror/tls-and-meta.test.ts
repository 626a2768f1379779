import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapSocketError } from '../../../electron/engine/mirror/net-errors';
import { partMetaPath, readPartMeta, removePartMeta, writePartMeta } from '../../../electron/engine/mirror/part-meta';
import { tlsTrust } from '../../../electron/engine/mirror/tls-trust';

describe('tlsTrust', () => {
  it('checks certificates by default and adds extra CAs to the bundled roots', () => {
    expect(tlsTrust(undefined)).toEqual({ rejectUnauthorized: true });
    expect(tlsTrust({ rejectUnauthorized: false })).toEqual({ rejectUnauthorized: false });
    const t = tlsTrust({ ca: 'PEM' });
    expect(t.rejectUnauthorized).toBe(true);
    expect(t.ca).toHaveLength(tls.rootCertificates.length + 1);
    expect(t.ca!.at(-1)).toBe('PEM');
    expect(tlsTrust({ ca: ['A', 'B'] }).ca!.slice(-2)).toEqual(['A', 'B']);
  });
});

describe('mapSocketError (TLS)', () => {
  it('says which host and what to do for an untrusted certificate', () => {
    const e = mapSocketError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), { host: 'mirror.example', ebook: 5 });
    expect(e.code).toBe('TLS_FAILED');
    expect(e.retryable).toBe(false);
    expect(e.context).toEqual({ host: 'mirror.example', ebook: 5 });
    expect(e.message).toBe(
      "TLS handshake with mirror.example failed: the mirror's certificate is not trusted (add its CA, or allow untrusted certificates): self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
    );
  });
  it('shortens OpenSSL messages and says what a plain server on a TLS URL means', () => {
    const openssl = '807C4271527F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
    const e = mapSocketError(Object.assign(new Error(`write EPROTO ${openssl}`), { code: 'EPROTO' }), { host: 'h' });
    expect(e.code).toBe('TLS_FAILED');
    expect(e.message).toBe(
      'TLS handshake with h failed: the server does not speak TLS on this port (a plain server, or explicit vs implicit FTPS): wrong version number (EPROTO)',
    );
  });
  it('names a host-name mismatch and an expired certificate as such', () => {
    const alt = mapSocketError(Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), { host: 'h' });
    expect(alt.message).toMatch(/^TLS handshake with h failed: the certificate is for another host name: /);
    const old = mapSocketError(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), {});
    expect(old.message).toBe('TLS handshake failed: the certificate has expired or is not valid yet: certificate has expired (CERT_HAS_EXPIRED)');
  });
});

describe('part meta', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fanout-meta-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips, and ignores what is not a valid meta', async () => {
    const part = path.join(dir, '5-0.txt.part');
    expect(await readPartMeta(part)).toBeNull();
    await writePartMeta(part, { size: 12, etag: '"e"', lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' });
    expect(partMetaPath(part)).toBe(`${part}.meta`);
    expect(JSON.parse(await readFile(`${part}.meta`, 'utf8'))).toEqual({ size: 12, etag: '"e"', lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' });
    expect(await readPartMeta(part)).toEqual({ size: 12, etag: '"e"', lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' });
    for (const bad of ['{', '[]', 'null', '{"size":-1}', '{"size":"12"}', '{}', JSON.stringify({ size: 1, pad: 'x'.repeat(5000) })]) {
      await writeFile(`${part}.meta`, bad);
      expect(await readPartMeta(part), bad.slice(0, 20)).toBeNull();
    }
    await writeFile(`${part}.meta`, '{"size":null,"etag":7}');
    expect(await readPartMeta(part)).toEqual({ size: null });
    await removePartMeta(part);
    await removePartMeta(part); // idempotent
    expect(await readPartMeta(part)).toBeNull();
  });
});
