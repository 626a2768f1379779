/** What the Lab screen sends is what the host's `lab:run` schema accepts, with the job's cap and wait in every Gutenberg-based lab. */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../shared/ipc-schemas';
import { gutenbergLabRequest, mailFolders, mailLabRequest, queueLabRequest, scrubInput, scrubLabRequest, stragglerLabRequest, type GutenbergSource } from '../../../renderer/src/lib/lab-requests';
import { capsSpecFields } from '../../../renderer/src/stores/job-caps-store';
import { useLabStore } from '../../../renderer/src/stores/lab-store';

const configs = useLabStore.getState().configs;
const src = (caps: Partial<GutenbergSource['caps']> = {}): GutenbergSource => ({
  form: { catalogPath: '/data/pg_catalog.csv', mirror: ' http://127.0.0.1:8080/ ', outDir: '/out/lab ' },
  catalogPath: null,
  ids: [{ from: 100, to: 103 }],
  caps: { limitRate: '', wait: '', maxPerHost: '', itemTimeout: '', ...caps },
});

describe('lab requests', () => {
  it('the Gutenberg lab carries the kind, the selection and the cap and wait typed in the job form', () => {
    const req = gutenbergLabRequest(src({ limitRate: '2M', wait: '500ms' }), configs.gutenberg);
    const parsed = parseCommand('lab:run', req);
    expect(parsed).toMatchObject({ kind: 'gutenberg', strategies: ['queue', 'adaptive'], spec: { mirror: 'http://127.0.0.1:8080/', outDir: '/out/lab', selection: { ids: [{ from: 100, to: 103 }] }, limitRate: 2 * 1024 * 1024, waitMs: 500 } });
  });

  it('no cap typed: no cap sent; a cap that does not parse is sent as -1, for the host to refuse under its field', () => {
    expect(gutenbergLabRequest(src(), configs.gutenberg).spec).not.toHaveProperty('limitRate');
    expect(capsSpecFields({ limitRate: 'fast', wait: '', maxPerHost: '', itemTimeout: '' })).toEqual({ limitRate: -1 });
    expect(() => parseCommand('lab:run', gutenbergLabRequest(src({ limitRate: 'fast', wait: '' }), configs.gutenberg))).toThrow(/spec\.limitRate/);
  });

  it('connections per server reach every Gutenberg-based lab; the form\'s per-book timeout every one but the stragglers lab (its grid stands for it)', () => {
    const caps = { maxPerHost: '2', itemTimeout: '30s' };
    expect(parseCommand('lab:run', gutenbergLabRequest(src(caps), configs.gutenberg))).toMatchObject({ spec: { maxPerHost: 2, itemTimeoutMs: 30_000 } });
    expect(parseCommand('lab:run', queueLabRequest(src(caps), configs.queue))).toMatchObject({ spec: { maxPerHost: 2, itemTimeoutMs: 30_000 } });
    const stragglers = parseCommand('lab:run', stragglerLabRequest(src(caps), configs.stragglers)) as { spec: Record<string, unknown> };
    expect(stragglers.spec).toMatchObject({ maxPerHost: 2 });
    expect(stragglers.spec).not.toHaveProperty('itemTimeoutMs');
  });

  it('the queue lab sends the job workers and strategy with its bounds (null: unbounded)', () => {
    const parsed = parseCommand('lab:run', queueLabRequest(src({ limitRate: '1M', wait: '' }), { ...configs.queue, bounds: [1, 16, null], workers: 3 }));
    expect(parsed).toMatchObject({ kind: 'queue', bounds: [1, 16, null], spec: { workers: 3, strategy: 'queue', limitRate: 1024 * 1024 } });
  });

  it('the scrub lab reads the folder typed, else the output folder\'s raw/', () => {
    expect(scrubInput({ ...configs.scrub, input: '' }, '/out/lab/')).toBe('/out/lab/raw');
    expect(scrubInput({ ...configs.scrub, input: ' /books ' }, '/out')).toBe('/books');
    expect(scrubInput({ ...configs.scrub, input: '' }, '')).toBe('');
    expect(parseCommand('lab:run', scrubLabRequest(configs.scrub, '/out'))).toMatchObject({ kind: 'scrub', input: '/out/raw', executors: ['threads', 'processes'] });
    expect(() => parseCommand('lab:run', scrubLabRequest({ ...configs.scrub, input: 'raw' }, '/out'))).toThrow(/input/);
  });

  it('the mail lab sends the account, the folders as `fanout lab mail --folders` reads them, strategies and connections', () => {
    expect(mailFolders(' ALL ')).toBe('all');
    expect(mailFolders('INBOX, Sent,')).toEqual(['INBOX', 'Sent']);
    const account = { host: 'imap.example.org', tls: 'none' as const, allowUntrustedCert: false, user: 'u', auth: { method: 'password' as const, password: 'p' } };
    const parsed = parseCommand('lab:run', mailLabRequest(account, { ...configs.mail, folders: 'INBOX', outDir: '/out/mail', connectionCounts: [1, 2] }));
    expect(parsed).toMatchObject({ kind: 'mail', strategies: ['serial', 'queue', 'split', 'adaptive'], connectionCounts: [1, 2], spec: { kind: 'mail', folders: ['INBOX'], outDir: '/out/mail' } });
  });

  it('the stragglers lab sends its timeouts (null: none) with the cap; adaptive is refused (it pipelines books without a timeout)', () => {
    const req = stragglerLabRequest(src({ limitRate: '', wait: '1s' }), { ...configs.stragglers, timeouts: [null, 500] });
    expect(parseCommand('lab:run', req)).toMatchObject({ kind: 'stragglers', timeouts: [null, 500], spec: { workers: 4, strategy: 'queue', waitMs: 1000 } });
    expect(() => parseCommand('lab:run', stragglerLabRequest(src(), { ...configs.stragglers, strategy: 'adaptive' }))).toThrow(/spec\.strategy: the stragglers lab needs one request per book/);
    expect(() => parseCommand('lab:run', stragglerLabRequest(src(), { ...configs.stragglers, timeouts: [50] }))).toThrow(/timeouts/);
  });

  it('a request without a kind is still the Gutenberg lab (older clients)', () => {
    const { kind: _kind, ...old } = gutenbergLabRequest(src(), configs.gutenberg);
    expect(parseCommand('lab:run', old)).toMatchObject({ kind: 'gutenberg' });
    expect(() => parseCommand('lab:run', { ...old, kind: 'stragglers-of-the-future' })).toThrow(/kind/);
  });
});
