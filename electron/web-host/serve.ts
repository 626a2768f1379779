import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from '../engine/jobs/data-dir';
import { FanoutHost } from '../engine/jobs/fanout-host';
import { defaultCatalogReader, defaultMailTools, defaultRunners } from '../engine/jobs/default-runners';
import { startWebHost, type WebHost } from './web-host';
import { activityLine } from './activity-log';

export interface ServeOptions {
  port: number;
  dataDir?: string;
  rendererDir?: string;
  token?: string;
  version?: string;
  /** Where a job's or lab's start and end are said (default: this process's stdout, the serve terminal). */
  log?: (line: string) => void;
}

/** Where the data dir lives by default: $FANOUT_DATA_DIR, else ~/.fanout (shared with the CLI). */
export { defaultDataDir };

/** Finds out/renderer from the source tree (tsx) or from the bundle (out/main/electron/web-host). */
export function findRendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'out', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return resolve('out/renderer');
}

/** Starts the engine host and the web server. */
export async function serve(opts: ServeOptions): Promise<{ web: WebHost; host: FanoutHost }> {
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const rendererDir = opts.rendererDir ?? findRendererDir();
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The UI is not built (${rendererDir}/index.html is missing): run \`npm run build\` first.`);
  }
  const host = new FanoutHost({
    host: 'web',
    version: opts.version ?? '0.1.0',
    dataDir,
    defaultOutDir: join(homedir(), 'fanout-downloads'),
    runners: defaultRunners(),
    readCatalog: defaultCatalogReader,
    mail: defaultMailTools,
  });
  const web = await startWebHost({ host, rendererDir, port: opts.port, token: opts.token, version: opts.version });
  // The page is a view: the terminal says what runs and how it ended, for whoever closed the last tab.
  const log = opts.log ?? ((line: string) => void process.stdout.write(`${new Date().toLocaleTimeString()} ${line}\n`));
  host.onEvent((name, payload) => {
    const line = activityLine(name, payload);
    if (line) log(line);
  });
  return { web, host };
}
