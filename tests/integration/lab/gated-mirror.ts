import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A mirror in front of another whose one book is held back: a job or lab stays running until the test has done its part. */
export interface GatedMirror {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Lets the held book's text through (and every later request of it). */
  release: () => void;
  close: () => Promise<void>;
}

/**
 * `upstream` (an HTTP mirror), except that the text of ebook `held` (`…/N.txt`, `…/N-0.txt`) waits
 * for `release()`: no timing, the test says when. Each response is the upstream's, read whole.
 * `othersAfterHeld`: the other requests wait until the held one has arrived.
 * Shared by the lab tests that run a lab beside a job or another lab (lab-beside-job,
 * lab-two-labs-one-folder).
 */
export async function gatedMirror(upstream: string, held: number, opts: { othersAfterHeld?: boolean } = {}): Promise<GatedMirror> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // `othersAfterHeld`: every other request waits until the held one has arrived (it is surely in flight before any other is answered).
  let arrived!: () => void;
  const heldArrived = new Promise<void>((r) => (arrived = r));
  const heldText = new RegExp(`/${held}(-0)?\\.txt$`);
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (heldText.test(req.url ?? '')) {
        arrived();
        await gate;
      } else if (opts.othersAfterHeld) await heldArrived;
      const answer = await fetch(new URL(req.url ?? '/', upstream), { method: req.method });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    release,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
