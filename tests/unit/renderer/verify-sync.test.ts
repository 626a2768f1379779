/**
 * A History → Verify across a page reload or a dropped connection: the verify goes on in the host,
 * so the page asks (`verify:state`) and re-attaches (asking `verify:run` again joins it), or shows
 * its end, never 'Verifying…' for ever. Against a stand-in for the host's answers (window.fanout).
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FanoutCommandError, type VerifyActivity } from '../../../shared/ipc';
import type { VerifyReport } from '../../../shared/verify-report';

const report = { ok: true, checked: { files: 3 }, missing: [], corrupt: [], extra: [] } as unknown as VerifyReport;
const host: { state: VerifyActivity; run: () => Promise<VerifyReport>; asked: string[] } = { state: { running: [], finished: [] }, run: async () => report, asked: [] };

beforeAll(() => {
  (globalThis as { window?: unknown }).window = {
    fanout: {
      verifyState: async () => host.state,
      verifyRun: async ({ jobId }: { jobId: string }) => {
        host.asked.push(jobId);
        return host.run();
      },
    },
  };
});

const load = async () => ({ ...(await import('../../../renderer/src/stores/verify-store')), ...(await import('../../../renderer/src/stores/app-store')) });

beforeEach(async () => {
  const m = await load();
  m.useVerifyStore.setState({ verifying: null, verified: null });
  m.setError(null);
  host.asked = [];
  host.run = async () => report;
  host.state = { running: [], finished: [] };
});

describe('a verify the page did not see end', () => {
  it('page loaded mid-verify: shows it running and joins it, then shows its report', async () => {
    const m = await load();
    let release: () => void = () => {};
    host.run = () => new Promise((r) => (release = () => r(report)));
    host.state = { running: [{ jobId: 'g1', startedAt: '' }], finished: [] };
    await m.syncVerify();
    expect(m.useVerifyStore.getState().verifying).toBe('g1');
    expect(host.asked).toEqual(['g1']);
    release();
    await expect.poll(() => m.useVerifyStore.getState().verified?.jobId).toBe('g1');
    expect(m.useVerifyStore.getState().verifying).toBeNull();
  });

  it('the reply lost with the connection: still verifying; back, the host\'s kept end is shown', async () => {
    const m = await load();
    host.run = async () => {
      throw new FanoutCommandError('CONNECTION_RESET', 'Lost the connection');
    };
    await m.verifyRun('g2');
    expect(m.useVerifyStore.getState().verifying).toBe('g2');
    expect(m.useAppStore.getState().error).toBeNull();
    host.state = { running: [], finished: [{ jobId: 'g2', report }] };
    await m.syncVerify();
    expect(m.useVerifyStore.getState()).toMatchObject({ verifying: null, verified: { jobId: 'g2', report } });
  });

  it('back to a restarted host that no longer knows it: said to be interrupted', async () => {
    const m = await load();
    m.useVerifyStore.setState({ verifying: 'g3' });
    await m.syncVerify();
    expect(m.useVerifyStore.getState().verifying).toBeNull();
    expect(m.useAppStore.getState().error).toContain('The verify was interrupted');
  });
});
