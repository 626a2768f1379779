import { describe, expect, it } from 'vitest';
import { noMirrorAnswered } from '../../../electron/cli/mirrors-command';
import { probeMirror, type MirrorProbe } from '../../../electron/engine/net/probe-mirror';

const failed = (url: string, error: string, lookupFailed: string | null): MirrorProbe => ({ url, protocol: 'https', ok: false, rttMs: null, answer: null, error, lookupFailed });

/**
 * `fanout mirrors --probe` with no mirror answering says "every name lookup failed; is this machine
 * offline?" from the lookup's failure the probe carries as data (`lookupFailed`: the resolver's
 * code), not from Node's words in its error ('getaddrinfo ENOTFOUND …'): a message worded otherwise
 * (another Node, a proxy's) decides the same.
 */
describe('no mirror answered: told from the lookups, not their words', () => {
  it('every lookup failed the same way: offline? check DNS, whatever the error says', () => {
    const probes = [failed('https://a.test/', 'DNS said no to a.test', 'ENOTFOUND'), failed('https://b.test/', 'name not known', 'ENOTFOUND')];
    expect(noMirrorAnswered(probes)).toBe('none of the 2 mirrors answered: every name lookup failed (getaddrinfo ENOTFOUND); is this machine offline? Check its network and DNS');
  });

  it('words that read like a lookup failure, and none carried (a server refused): the network in general', () => {
    const probes = [failed('https://a.test/', 'getaddrinfo ENOTFOUND a.test', null), failed('https://b.test/', 'getaddrinfo ENOTFOUND b.test', null)];
    expect(noMirrorAnswered(probes)).toMatch(/^none of the 2 mirrors answered; check this machine's network/);
    expect(noMirrorAnswered([failed('https://a.test/', 'x', 'ENOTFOUND'), failed('https://b.test/', 'y', 'EAI_AGAIN')])).toMatch(/; check this machine's network/);
  });

  it('a real lookup of a name that cannot exist (.invalid) is carried as data', async () => {
    const p = await probeMirror('http://no-such-mirror.invalid/', { timeoutMs: 5_000 });
    expect(p).toMatchObject({ ok: false, lookupFailed: expect.stringMatching(/^E[A-Z_]+$/) });
  });
});
