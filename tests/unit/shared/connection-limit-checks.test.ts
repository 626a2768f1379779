/**
 * The checks of `--max-per-host` / "Connections per server" and `--item-timeout` / "Per-book
 * timeout" (shared/input-checks.ts: one message for the CLI and the form), and the spec fields the
 * form makes of what was typed (renderer screens/connection-limits.ts: empty is absent, unreadable is -1
 * for the host's check to refuse under its field).
 */
import { describe, expect, it } from 'vitest';
import { checkItemTimeout, checkMaxPerHost } from '../../../shared/input-checks';
import { limitSpecFields } from '../../../renderer/src/lib/connection-limits';

describe('connection limit checks', () => {
  it('accepts 1 to 64 connections, and says why anything else is not one', () => {
    expect(checkMaxPerHost('1')).toBeNull();
    expect(checkMaxPerHost(' 64 ')).toBeNull();
    expect(checkMaxPerHost('0')).toBe('0 is out of range; give a whole number from 1 to 64');
    expect(checkMaxPerHost('65')).toBe('65 is out of range; give a whole number from 1 to 64');
    expect(checkMaxPerHost('2.5')).toBe('"2.5" is not a number of connections; give a whole number from 1 to 64');
  });

  it('accepts a per-book timeout from 100 ms to an hour, a bare number in seconds', () => {
    for (const ok of ['100ms', '0.1', '5s', '5', '1m', '60m', '3600s']) expect(checkItemTimeout(ok)).toBeNull();
    expect(checkItemTimeout('50ms')).toBe('"50ms" is not a timeout from 100ms to 3600s');
    expect(checkItemTimeout('61m')).toBe('"61m" is not a timeout from 100ms to 3600s');
    expect(checkItemTimeout(' 5min ')).toBe('"5min" is not a timeout from 100ms to 3600s');
  });

  it('makes the spec fields of the form: absent when empty, -1 when unreadable', () => {
    expect(limitSpecFields({ maxPerHost: '', itemTimeout: ' ' })).toEqual({});
    expect(limitSpecFields({ maxPerHost: ' 3 ', itemTimeout: '2.5s' })).toEqual({ maxPerHost: 3, itemTimeoutMs: 2500 });
    expect(limitSpecFields({ maxPerHost: 'two', itemTimeout: 'soon' })).toEqual({ maxPerHost: -1, itemTimeoutMs: -1 });
    expect(limitSpecFields({ maxPerHost: '65', itemTimeout: '50ms' })).toEqual({ maxPerHost: 65, itemTimeoutMs: 50 });
  });
});
