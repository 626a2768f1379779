import type { TcpProxy } from '../../harness/tcp-proxy';

/**
 * A job's `beforeFetch` (MailJobExtras) that cuts the first FETCH about to start, once: the proxy's
 * drop rule (a connection dropped after `afterBytes` of the server's bytes, `times` drops in all)
 * takes the connections opened from now on, and the open ones are cut at once, so the FETCH goes
 * out again on a new connection, which is dropped in its answer. The test calls
 * `proxy.setDrop(null)` when the job is over.
 */
export function cutFirstFetch(proxy: TcpProxy, afterBytes: number, times: number): () => Promise<void> {
  let armed = false;
  return () => {
    if (!armed) {
      armed = true;
      proxy.setDrop({ afterBytes, times, on: 'any' });
      proxy.cutAll();
    }
    return Promise.resolve();
  };
}
