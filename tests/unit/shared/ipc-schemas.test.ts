import { describe, expect, it } from 'vitest';
import { API_METHODS, EVENT_METHODS, unwrapReply, FanoutCommandError } from '../../../shared/ipc';
import { COMMAND_NAMES, IpcValidationError, parseCommand } from '../../../shared/ipc-schemas';

const goodSpec = { kind: 'gutenberg', catalog: '/tmp/c.csv', mirror: 'ftp://127.0.0.1:2121/', outDir: '/tmp/out' };

describe('IPC validation', () => {
  it('has one schema per command and every API method names a command', () => {
    for (const cmd of Object.values(API_METHODS)) expect(COMMAND_NAMES).toContain(cmd);
    expect(new Set(Object.values(API_METHODS)).size).toBe(COMMAND_NAMES.length);
    expect(Object.values(EVENT_METHODS)).toEqual(['job:event', 'lab:event', 'catalog:event']);
  });

  it('accepts a good job spec and applies the defaults', () => {
    const req = parseCommand('job:start', { spec: goodSpec });
    expect(req.spec).toMatchObject({ kind: 'gutenberg', workers: 4, strategy: 'adaptive', selection: {} });
  });

  it('rejects bad payloads with a BAD_INPUT error naming the command and every bad field', () => {
    let err: unknown;
    try {
      parseCommand('job:start', { spec: { ...goodSpec, mirror: 'gopher://x', workers: 0, strategy: 'random' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpcValidationError);
    const v = err as IpcValidationError;
    expect(v.code).toBe('BAD_INPUT');
    expect(v.message).toContain('Invalid request for "job:start"');
    expect(v.message).toMatch(/spec\.mirror/);
    expect(v.message).toMatch(/spec\.workers/);
    expect(v.message).toMatch(/spec\.strategy/);
    expect(v.toJSON()).toMatchObject({ code: 'BAD_INPUT', retryable: false });
  });

  it('rejects unknown commands, extra keys and wrong types', () => {
    expect(() => parseCommand('shell:exec', {})).toThrow(/unknown command/);
    expect(() => parseCommand('job:pause', { jobId: 'x', evil: true })).toThrow(/Unrecognized key/i);
    expect(() => parseCommand('job:pause', { jobId: 42 })).toThrow(/jobId/);
    expect(() => parseCommand('job:pause', null)).toThrow(/\(payload\)/);
    expect(() => parseCommand('catalog:download', { mirror: '' })).toThrow(/catalog:download.*mirror/);
    expect(() => parseCommand('catalog:download', { mirror: 'http://m/', path: '/etc' })).toThrow(/Unrecognized key/i);
    expect(parseCommand('catalog:download', { mirror: 'ftp://m/' })).toEqual({ mirror: 'ftp://m/' });
    expect(() => parseCommand('catalog:cancel-download', { id: 1 })).toThrow(/Unrecognized key/i);
    expect(() => parseCommand('catalog:search', { catalogId: 'c', query: {}, offset: -1, limit: 5000 })).toThrow(/offset.*limit/s);
    expect(() => parseCommand('lab:run', { spec: goodSpec, strategies: [], workerCounts: [1], sampleSize: 5, repeats: 1, compareScrubExecutors: false })).toThrow(/strategies/);
    expect(() => parseCommand('mail:test', { account: { host: 'h', user: 'u', auth: { method: 'password', password: '' } } })).toThrow(/account\.auth\.password/);
  });

  it('a selection of no ebook numbers is refused, not read as the whole catalog; a range runs upward', () => {
    // `ids: []` selected every book of the catalog (an empty list is no filter): a host client other
    // than the UI (which disables Start with nothing selected) could start a 75,000-book job.
    expect(() => parseCommand('job:start', { spec: { ...goodSpec, selection: { ids: [] } } })).toThrow(/spec\.selection\.ids: has no ebook number/);
    expect(() => parseCommand('job:start', { spec: { ...goodSpec, selection: { ids: [{ from: 9, to: 3 }] } } })).toThrow(/spec\.selection\.ids\.0/);
    expect(parseCommand('job:start', { spec: { ...goodSpec, selection: { ids: [{ from: 3, to: 9 }] } } }).spec).toMatchObject({ selection: { ids: [{ from: 3, to: 9 }] } });
    expect(parseCommand('job:start', { spec: { ...goodSpec, selection: {} } }).spec).toMatchObject({ selection: {} });
  });

  it('turns an error reply into a FanoutCommandError with its code', () => {
    expect(unwrapReply({ ok: true, value: 3 })).toBe(3);
    try {
      unwrapReply({ ok: false, error: { code: 'BAD_INPUT', message: 'nope', retryable: false, context: {} } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FanoutCommandError);
      expect((e as FanoutCommandError).code).toBe('BAD_INPUT');
    }
  });
});
