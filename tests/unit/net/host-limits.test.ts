import { describe, expect, it } from 'vitest';
import { JobConnectionLimit, hostLimitKey, limitAfterJob, planConnections, type LearnedConnectionLimit, type RememberedHostLimits } from '../../../electron/engine/net/host-limits';

const learned = (limit: number): LearnedConnectionLimit => ({ limit, since: '2026-11-30T22:50:12.000Z', reason: 'FTP 421: There are too many connections from your internet address.' });

describe('per-host connection limits', () => {
  it('keys a mirror by scheme, host and port (ftps is the same server as ftp)', () => {
    expect(hostLimitKey('ftp://user:pw@Mirror.Example.org/pub/')).toBe('ftp://mirror.example.org:21');
    expect(hostLimitKey('ftps://127.0.0.1:2121/')).toBe('ftp://127.0.0.1:2121');
    expect(hostLimitKey('https://m.example.org/x')).toBe('https://m.example.org:443');
    expect(hostLimitKey('http://m.example.org:8080/')).toBe('http://m.example.org:8080');
    expect(hostLimitKey('rsync://m.example.org/')).toBeNull();
    expect(hostLimitKey('not a url')).toBeNull();
  });

  it('a learned limit lowers the workers and says so in one line; --max-per-host overrides it', () => {
    const plan = planConnections({ hostKey: 'ftp://h:21', workers: 8, learned: learned(3) });
    expect(plan).toMatchObject({ workers: 3, serverLimit: 3 });
    expect(plan.note).toBe('ftp://h:21 accepted at most 3 connections when it refused one on 2026-11-30 22:50 UTC ("FTP 421: There are too many connections from your internet address."): this job opens at most 3, not 8; to try more, give --max-per-host N (UI: "Connections per server")');
    expect(plan.note).not.toContain('\n');
    expect(planConnections({ hostKey: 'ftp://h:21', workers: 2, learned: learned(3) })).toEqual({ workers: 2, serverLimit: 3, note: null });
    expect(planConnections({ hostKey: 'ftp://h:21', workers: 8, maxPerHost: 6, learned: learned(3) })).toEqual({ workers: 6, serverLimit: 6, note: null });
    expect(planConnections({ hostKey: 'ftp://h:21', workers: 8, learned: null })).toEqual({ workers: 8, serverLimit: null, note: null });
  });

  it('after a job: a refusal is remembered, a learned limit gone past without one is forgotten', () => {
    expect(limitAfterJob({ learned: null, refused: { accepted: 3, reason: 'r' }, peakWorking: 3 })).toEqual({ remember: { limit: 3, reason: 'r' } });
    expect(limitAfterJob({ learned: learned(3), refused: null, peakWorking: 6 })).toEqual({ forget: true });
    expect(limitAfterJob({ learned: learned(3), refused: null, peakWorking: 3 })).toBeNull();
    expect(limitAfterJob({ learned: null, refused: null, peakWorking: 8 })).toBeNull();
  });

  it('JobConnectionLimit reads and keeps through the host memory; an unreadable memory is no limit', async () => {
    const kept: string[] = [];
    const memory: RememberedHostLimits = {
      connectionLimit: async (key) => (key === 'ftp://h:21' ? learned(3) : null),
      rememberConnectionLimit: async (key, limit, reason) => void kept.push(`${key} ${limit} ${reason}`),
      forgetConnectionLimit: async (key) => void kept.push(`forget ${key}`),
    };
    const job = await JobConnectionLimit.open('ftp://h/', { workers: 8 }, memory);
    expect(job.plan.workers).toBe(3);
    expect(await job.afterPool({ refused: { accepted: 2, error: { message: 'FTP 421:\n  Too many connections (2) from this IP' } }, peakWorking: 2 })).toBe(
      'ftp://h:21 refused more than 2 connections at once: the next job to it opens at most 2 (--max-per-host N to change)',
    );
    expect(kept).toEqual(['ftp://h:21 2 FTP 421: Too many connections (2) from this IP']);
    expect(await job.afterPool({ refused: null, peakWorking: 5 })).toBeNull();
    expect(kept.at(-1)).toBe('forget ftp://h:21');

    const broken: RememberedHostLimits = { ...memory, connectionLimit: () => Promise.reject(new Error('EACCES')) };
    expect((await JobConnectionLimit.open('ftp://h/', { workers: 8 }, broken)).plan).toEqual({ workers: 8, serverLimit: null, note: null });
  });
});
