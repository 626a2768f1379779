import { useMemo } from 'react';
import { STRATEGIES } from '../../../../shared/strategy';
import type { MailAccount } from '../../../../shared/job-spec';
import type { AppInfo } from '../../../../shared/ipc';
import { mailLabRequest } from '../../lib/lab-requests';
import { labResult } from '../../lib/lab-results';
import { useAppStore } from '../../stores/app-store';
import { useMailField, useMailForm } from '../../stores/mail-form-store';
import { setLabConfig, toggleIn, useLabStore } from '../../stores/lab-store';
import { startLab } from './start-lab';
import { CheckGroup, LabRunBar, NumberField } from './LabControls';
import { LabTimelines } from './LabTimelines';
import { SpeedupResults } from './SpeedupResults';

const CONNECTION_COUNTS = [1, 2, 4, 8, 16] as const;

/**
 * The mail lab: the account archived under each strategy × connections, each into a fresh folder
 * (`fanout lab mail`), then the fastest and the slowest cell's connection lanes side by side.
 * The account and password are the Mail screen's (one form in memory, mail-form-store.ts).
 */
export function MailLabPanel() {
  const info = useAppStore((s) => s.info);
  if (!info?.mailAvailable) return <p className="muted" data-testid="lab-panel-mail">Mail archiving is not available in this build.</p>;
  return <MailLabForm info={info} />;
}

function MailLabForm({ info }: { info: AppInfo }) {
  const c = useLabStore((s) => s.configs.mail);
  const run = useLabStore((s) => s.runs.mail);
  // The Mail screen's account and password (typed once for both; kept across lab tabs and screens for the page's life).
  useMailForm(info);
  const [host, setHost] = useMailField('host');
  const [port, setPort] = useMailField('port');
  const [tls, setTls] = useMailField('tls');
  const [user, setUser] = useMailField('user');
  const [password, setPassword] = useMailField('password');
  const outDir = c.outDir || info.defaultOutDir || '';
  const result = useMemo(() => (run && run.points.length > 0 ? labResult('mail', run.points, run.context) : null), [run]);
  const account = (): MailAccount => ({ host: host.trim(), ...(port ? { port: Number(port) } : {}), tls, allowUntrustedCert: false, user: user.trim(), auth: { method: 'password', password } });
  return (
    <div data-testid="lab-panel-mail">
      <p className="muted">Archives the account under each strategy and number of IMAP connections, each into a fresh folder (serial uses one connection).</p>
      <div className="form-grid">
        <label>IMAP host<input data-testid="lab-mail-host" value={host} onChange={(e) => setHost(e.target.value)} /></label>
        <label>Port<input data-testid="lab-mail-port" value={port} placeholder="993" onChange={(e) => setPort(e.target.value.replace(/\D/g, ''))} /></label>
        <label>TLS<select data-testid="lab-mail-tls" value={tls} onChange={(e) => setTls(e.target.value as typeof tls)}><option value="implicit">implicit (993)</option><option value="starttls">STARTTLS</option><option value="none">none</option></select></label>
        <label>User<input data-testid="lab-mail-user" value={user} onChange={(e) => setUser(e.target.value)} /></label>
        <label>Password<input data-testid="lab-mail-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        <label title='"all", or folder paths separated by commas (INBOX,Sent)'>Folders<input data-testid="lab-mail-folders" value={c.folders} onChange={(e) => setLabConfig('mail', { folders: e.target.value })} /></label>
        <CheckGroup legend="Strategies" all={STRATEGIES} chosen={c.strategies} testId="lab-strategy" onToggle={(s) => setLabConfig('mail', { strategies: toggleIn(c.strategies, s, STRATEGIES) })} />
        <CheckGroup legend="Connections" all={CONNECTION_COUNTS} chosen={c.connectionCounts} testId="lab-connections" onToggle={(n) => setLabConfig('mail', { connectionCounts: toggleIn(c.connectionCounts, n, CONNECTION_COUNTS) })} />
        <NumberField label="Repeats" testId="lab-repeats" min={1} max={9} value={c.repeats} onChange={(repeats) => setLabConfig('mail', { repeats })} />
        <label>Output folder<input data-testid="lab-mail-out-dir" value={outDir} onChange={(e) => setLabConfig('mail', { outDir: e.target.value })} /></label>
      </div>
      <LabRunBar kind="mail" disabled={!host.trim() || !user.trim() || !password || !outDir || c.strategies.length === 0 || c.connectionCounts.length === 0} onRun={() => void startLab(mailLabRequest(account(), { ...c, outDir }))} />
      {result?.type === 'speedup' && <SpeedupResults kind="mail" analysis={result.analysis} files={result.files} workersName="connections" />}
      {run && run.timelines.length > 0 && <LabTimelines timelines={run.timelines} />}
    </div>
  );
}
