import { useEffect } from 'react';
import type { AppInfo } from '../../../shared/ipc';
import { checkAbsolutePath, checkHostName } from '../../../shared/input-checks';
import type { MailAccount } from '../../../shared/job-spec';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { getApi } from '../api/api';
import { describeError, saveMailSettings, setError, setScreen, useAppStore } from '../stores/app-store';
import { asSentence, toFieldProblems, useFieldProblems } from '../lib/field-problems';
import { folderRows } from '../lib/mail-folder-tree';
import { CheckedField } from './CheckedField';

/** Where the mail job's fields are shown in this form (`job:check` problems go under them). */
const MAIL_FIELDS = { 'account.host': 'host', 'account.port': 'port', 'account.user': 'user', outDir: 'outDir' };
import { showRunningJob, useActiveJobs } from '../stores/active-jobs';
import { useAnyLabRunning } from './lab/LabControls';
import { beginRun, useRunStore } from '../stores/run-store';
import { resyncIfBusy } from '../stores/host-sync';
import { setMailField, useMailField, useMailForm } from '../stores/mail-form-store';

export function MailScreen() {
  const info = useAppStore((s) => s.info);
  if (!info?.mailAvailable) {
    return <section className="screen" data-testid="screen-mail"><p className="muted">Mail archiving is not available in this build yet.</p></section>;
  }
  return <MailForm info={info} />;
}

/** The account form starts from the remembered settings (read once, when the screen opens). */
function MailForm({ info }: { info: AppInfo }) {
  // Kept for the page's life (mail-form-store.ts): the Mail screen left and opened again finds it as it was.
  const saved = useMailForm(info);
  const [host, setHost] = useMailField('host');
  const [port, setPort] = useMailField('port');
  const [tls, setTls] = useMailField('tls');
  const [user, setUser] = useMailField('user');
  const [password, setPassword] = useMailField('password');
  const [untrusted, setUntrusted] = useMailField('untrusted');
  const [folders, setFolders] = useMailField('folders');
  const [checked, setChecked] = useMailField('checked');
  const [connections, setConnections] = useMailField('connections');
  const [autoWorkers, setAutoWorkers] = useMailField('autoWorkers');
  const [strategy, setStrategy] = useMailField('strategy');
  const [outDir, setOutDir] = useMailField('outDir');
  const [status, setStatus] = useMailField('status');
  const [remember, setRemember] = useMailField('remember');
  const fieldProblems = useFieldProblems();
  const { setProblem, setAll: setProblems } = fieldProblems;
  /** A job runs (Gutenberg or mail, from this page or another): the UI runs one at a time, so none runs unseen. */
  const runStatus = useRunStore((s) => s.status);
  const running = useActiveJobs((s) => s.ids.length > 0);
  const busy = runStatus === 'running' || runStatus === 'paused' || running;
  const labRunning = useAnyLabRunning();
  /** The form's own check of a field as it is left (the host checks again, and more, at Start). */
  const localProblem = (field: 'host' | 'outDir', value: string) => {
    const problem = value.trim() === '' ? null : field === 'host' ? checkHostName(value) : checkAbsolutePath(value);
    return problem ? asSentence(problem) : undefined;
  };
  const checkField = (field: 'host' | 'outDir', value: string) => {
    const problem = localProblem(field, value);
    setProblem(field, problem);
    return problem === undefined;
  };

  const recall = async () => {
    if (!info.canStoreSecrets || !host || !user) return;
    const pw = await getApi().loadMailPassword({ host, user }).catch(() => null);
    if (pw) setPassword((current) => current || pw);
  };
  // A remembered account comes back with its password (Electron's safeStorage only).
  useEffect(() => {
    if (!saved.rememberPassword || !info.canStoreSecrets || !saved.host || !saved.user) return;
    let live = true;
    getApi()
      .loadMailPassword({ host: saved.host, user: saved.user })
      .then((pw) => live && pw && setMailField('password', (current) => current || pw))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [saved, info.canStoreSecrets]);

  const account = (): MailAccount => ({ host, port: port ? Number(port) : undefined, tls, allowUntrustedCert: untrusted, user, auth: { method: 'password', password } });
  /** Remembers the account (never the password in settings); the password goes to safeStorage, or is forgotten. */
  const remembered = async () => {
    const keep = remember && info.canStoreSecrets;
    await saveMailSettings({ host, user, tls, rememberPassword: keep, ...(port ? { port: Number(port) } : {}) }).catch((err) => setError(`Could not save the mail settings: ${describeError(err)}`));
    if (!info.canStoreSecrets || !host.trim() || !user.trim()) return;
    if (keep && password) await getApi().saveMailPassword({ host: host.trim(), user: user.trim(), password });
    else if (!keep) await getApi().forgetMailPassword({ host: host.trim(), user: user.trim() }).catch(() => {});
  };
  const test = async () => {
    if (!checkField('host', host)) return;
    setStatus('Testing…');
    try {
      await remembered();
      const r = await getApi().testMail({ account: account() });
      setStatus(r.ok ? `OK: ${r.message}` : `Failed: ${r.message}`);
      if (r.ok) {
        const f = await getApi().mailFolders({ account: account() });
        setFolders(f);
        setChecked(new Set(f.filter((x) => x.selectable).map((x) => x.path)));
      }
    } catch (err) {
      setStatus(`Failed: ${describeError(err)}`);
    }
  };
  const start = async () => {
    try {
      await remembered();
      const spec = { kind: 'mail' as const, account: account(), folders: [...checked], connections, ...(autoWorkers ? { autoWorkers: true } : {}), strategy, outDir };
      // The host's checks (the CLI's): each problem goes under its field, and nothing starts.
      const check = await getApi().checkJob({ spec });
      const { byField, rest } = toFieldProblems(check.problems, MAIL_FIELDS);
      setProblems(byField);
      if (rest.length > 0) setError(rest.join('; '));
      if (check.problems.length > 0) return;
      const { jobId } = await getApi().startJob({ spec });
      beginRun(jobId, 'mail', connections);
      setScreen('live');
    } catch (err) {
      setError(`Could not start: ${describeError(err)}`);
      resyncIfBusy(err);
    }
  };
  return (
    <section className="screen" data-testid="screen-mail">
      <div className="form-grid">
        <CheckedField label="IMAP host" field="host" testId="mail-host" errorId="mail-host" value={host} onEdit={setHost} check={(v) => localProblem('host', v)} problems={fieldProblems} />
        <CheckedField label="Port" field="port" testId="mail-port" errorId="mail-port" value={port} placeholder="993" onEdit={(v) => setPort(v.replace(/\D/g, ''))} problems={fieldProblems} />
        <label>TLS<select data-testid="mail-tls" value={tls} onChange={(e) => setTls(e.target.value as typeof tls)}><option value="implicit">implicit (993)</option><option value="starttls">STARTTLS</option><option value="none">none</option></select></label>
        <label>User<input data-testid="mail-user" value={user} onChange={(e) => setUser(e.target.value)} onBlur={() => void recall()} /></label>
        <label>Password<input data-testid="mail-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        {info.canStoreSecrets ? (
          <label className="check"><input type="checkbox" data-testid="mail-remember" checked={remember} onChange={(e) => setRemember(e.target.checked)} />Remember the password (encrypted by the OS keychain)</label>
        ) : (
          <span className="muted" data-testid="mail-no-secrets">The account is remembered; the password is not (no secure storage in this host).</span>
        )}
        <label className="check"><input type="checkbox" checked={untrusted} onChange={(e) => setUntrusted(e.target.checked)} />Accept an untrusted certificate</label>
      </div>
      <div className="actions"><button data-testid="mail-test" onClick={() => void test()} disabled={!host || !user || !password}>Test</button>{(!host || !user || !password) && <span className="muted" data-testid="mail-test-why">To test: give {[!host && 'the IMAP host', !user && 'the user', !password && 'the password'].filter(Boolean).join(', ').replace(/, ([^,]*)$/, ' and $1')}.</span>}<span data-testid="mail-status">{status}</span></div>
      {folders.length > 0 && (
        <>
          <ul className="folders" data-testid="mail-folders">
            {folderRows(folders).map(({ folder: f, depth }) => (
              <li key={f.path} style={{ paddingLeft: `${depth * 16}px` }} data-selectable={f.selectable ? 'yes' : 'no'}>
                {f.selectable ? (
                  <label className="check"><input type="checkbox" checked={checked.has(f.path)} onChange={() => setChecked((c) => { const n = new Set(c); if (n.has(f.path)) n.delete(f.path); else n.add(f.path); return n; })} />{f.name} <span className="muted">({f.messages})</span></label>
                ) : (
                  <span className="muted" title="A container on the server: it holds folders, not messages">{f.name}</span>
                )}
              </li>
            ))}
          </ul>
          <div className="form-grid">
            <label>Connections<input data-testid="mail-connections" type="number" min={1} max={32} value={connections} onChange={(e) => setConnections(Math.max(1, Math.min(32, Number(e.target.value) || 1)))} /></label>
            <label className="check" title="Start with 2 connections and add more while throughput grows; the server's refusals and the Connections field are the limit">
              <input data-testid="mail-auto-workers" type="checkbox" checked={autoWorkers} onChange={(e) => {
                setAutoWorkers(e.target.checked);
                // Connections becomes the most auto may open: a small fixed count would hold it back.
                if (e.target.checked && connections < 16) setConnections(16);
              }} />
              Auto
            </label>
            <label>Strategy<select value={strategy} onChange={(e) => setStrategy(e.target.value as Strategy)}>{STRATEGIES.map((s) => <option key={s}>{s}</option>)}</select></label>
            <CheckedField label="Output folder" field="outDir" testId="mail-out-dir" errorId="mail-outDir" value={outDir} onEdit={setOutDir} check={(v) => localProblem('outDir', v)} problems={fieldProblems} />
          </div>
          <div className="actions"><button className="primary" data-testid="mail-start" disabled={checked.size === 0 || !outDir.trim() || busy || labRunning} onClick={() => void start()}>Start</button>{busy && <button data-testid="show-running-job" onClick={() => void showRunningJob().catch((err) => setError(describeError(err)))}>Show the running job</button>}{(checked.size === 0 || !outDir.trim()) && !busy && !labRunning && <span className="muted" data-testid="mail-start-why">To start: {[checked.size === 0 && 'tick at least one folder', !outDir.trim() && 'give an output folder'].filter(Boolean).join(' and ')}.</span>}{labRunning && !busy && <span className="muted" data-testid="start-blocked">A lab is running: a job now would be in its timings. Start when it ends, or cancel it on the Lab screen.</span>}</div>
        </>
      )}
    </section>
  );
}
