import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

/** A relay to an HTTP mirror that garbles one header of the first response it carries (once): a middlebox hiccup. */
async function garbleOnce(targetPort: number) {
  let done = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(targetPort, '127.0.0.1');
    sockets.add(client); sockets.add(up);
    client.on('data', (c) => up.write(c));
    up.on('data', (c: Buffer) => {
      if (!done) {
        const t = c.toString('latin1');
        const i = t.indexOf('\r\n');
        if (t.startsWith('HTTP/1.1 200') && i > 0) { done = true; c = Buffer.from(`${t.slice(0, i)}\r\nBad Header: x${t.slice(i)}`, 'latin1'); }
      }
      client.write(c);
    });
    const end = () => { client.destroy(); up.destroy(); };
    client.on('close', end); up.on('close', end); client.on('error', end); up.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

let fx: GutenbergFixture;
beforeAll(async () => { fx = await startGutenbergFixture(); }, 60_000);
afterAll(async () => { await fx?.cleanup(); });

describe('one garbled response from a real HTTP mirror', () => {
  it.each(['adaptive', 'queue'] as const)('%s: retried like any dropped connection, the job completes', async (strategy) => {
    const relay = await garbleOnce(Number(new URL(fx.http.url).port));
    try {
      const outDir = join(fx.dir, `garbled-${strategy}`);
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: `http://127.0.0.1:${relay.port}/`, selection: {}, workers: 2, strategy, outDir });
      const summary = await runGutenbergJob(spec, createJobControl());
      console.log(strategy, summary.status, summary.itemsDone, summary.itemsTotal, JSON.stringify(summary.failures).slice(0, 400));
      expect(summary.failures.find((f) => f.item === '(job)')).toBeUndefined();
    } finally {
      await relay.stop();
    }
  }, 60_000);
});
