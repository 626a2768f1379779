import net from 'node:net';
import { CommandLines, SlowTransfers, type SlowRule, type Throttle } from './slow-transfers';

export interface TcpProxyOptions {
  /** Port of the real server on `targetHost`. */
  targetPort: number;
  /** Default 127.0.0.1. */
  targetHost?: string;
  /**
   * One-way delay added to every chunk in both directions, ms (a round trip costs 2×). FIN is
   * delayed the same way so ordering is kept. The TCP handshake itself cannot be delayed from
   * user space: connecting costs nothing extra.
   */
  delayMs?: number;
  /**
   * FTP mode: rewrite `227`/`229` replies on the control connection to a port of the proxy's own
   * that relays (with the same delay) to the server's passive port.
   */
  ftp?: boolean;
  /**
   * Cut a connection after this many server→client bytes (the client gets exactly that many,
   * then both sides are destroyed). Applies to the next `dropTimes` connections of kind `dropOn`.
   */
  dropAfterBytes?: number;
  /** How many connections to cut. Default 1. */
  dropTimes?: number;
  /** Which connections count for dropping: default `'data'` in FTP mode, else `'any'`. */
  dropOn?: 'any' | 'control' | 'data';
  /** Slow chosen transfers (by path): see `setSlow`. */
  slow?: SlowRule;
}

export interface DropRule {
  afterBytes: number;
  times?: number;
  on?: 'any' | 'control' | 'data';
}

export interface ProxyStats {
  /** Client connections accepted on the main port (FTP: control connections). */
  connections: number;
  /** FTP mode: passive data connections relayed. */
  dataConnections: number;
  /** Server→client bytes relayed, all connections. */
  bytesDown: number;
  /** Client→server bytes relayed. */
  bytesUp: number;
  /** Connections cut by the drop rule. */
  dropped: number;
  /** Connections stalled by the stall rule. */
  stalled: number;
  /** Transfers slowed by the slow rule. */
  slowed: number;
  /** HTTP request paths (FTP: RETR arguments) seen while a slow rule was set, in order. */
  slowCandidates: string[];
}

export interface TcpProxy {
  port: number;
  /** `127.0.0.1:PORT` for URLs: `ftp://${proxy.hostPort}`. */
  hostPort: string;
  stats: ProxyStats;
  /** Replaces the drop rule (null = stop dropping). */
  setDrop(rule: DropRule | null): void;
  /**
   * Stall rule (same shape as a drop): after `afterBytes` server→client bytes, the next `times`
   * matching connections stop forwarding server bytes but stay open (a server or middlebox that
   * stops sending mid-body). null = no more stalls (connections already stalled stay so).
   */
  setStall(rule: DropRule | null): void;
  /**
   * Slow rule (slow-transfers.ts): transfers whose path matches (HTTP request path, FTP RETR
   * argument) get their first byte held and/or trickle at a rate; after one the client cut short,
   * the path's next transfer goes at full speed. HTTP: the bytes after a matching request line, until the
   * connection's next request (exact for one request at a time; pipelined requests are slowed
   * from the matching one on). FTP: the n-th passive connection of a control connection carries
   * its n-th transfer command. null = no more slowing.
   */
  setSlow(rule: SlowRule | null): void;
  /** Changes the delay for chunks relayed from now on. */
  setDelay(ms: number): void;
  /** Destroys every open connection (control and data) at once. */
  cutAll(): void;
  /** Closes the listeners and every connection. */
  stop(): Promise<void>;
}

type Kind = 'control' | 'data';

/**
 * A TCP relay on 127.0.0.1 for tests and benchmarks: adds latency each way, cuts connections
 * mid-transfer, and in FTP mode relays the passive data connections through itself too.
 */
export async function startTcpProxy(opts: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = opts.targetHost ?? '127.0.0.1';
  let delayMs = opts.delayMs ?? 0;
  let drop: Required<DropRule> | null =
    opts.dropAfterBytes !== undefined
      ? { afterBytes: opts.dropAfterBytes, times: opts.dropTimes ?? 1, on: opts.dropOn ?? (opts.ftp ? 'data' : 'any') }
      : null;
  const stats: ProxyStats = { connections: 0, dataConnections: 0, bytesDown: 0, bytesUp: 0, dropped: 0, stalled: 0, slowed: 0, slowCandidates: [] };
  let stall: Required<DropRule> | null = null;
  let slow: SlowTransfers | null = opts.slow ? new SlowTransfers(opts.slow) : null;
  const sockets = new Set<net.Socket>();
  const servers = new Set<net.Server>();

  /**
   * Per destination socket: what is still to be done to it, in order, each step no earlier than
   * its due time. One queue per socket (not one timer per chunk) keeps the order of writes, the
   * end and the close even when the event loop runs late.
   */
  const queues = new WeakMap<net.Socket, { steps: Array<{ due: number; act: () => void }>; timer: NodeJS.Timeout | null }>();
  const schedule = (to: net.Socket, act: () => void, extraMs = 0) => scheduleAt(to, act, performance.now() + delayMs + extraMs);
  const scheduleAt = (to: net.Socket, act: () => void, due: number) => {
    let q = queues.get(to);
    if (!q) queues.set(to, (q = { steps: [], timer: null }));
    if (due <= performance.now() && q.steps.length === 0) return act();
    q.steps.push({ due, act });
    const queue = q;
    const run = () => {
      queue.timer = null;
      while (queue.steps.length > 0 && queue.steps[0]!.due <= performance.now() + 0.5) queue.steps.shift()!.act();
      if (queue.steps.length > 0) queue.timer = setTimeout(run, Math.max(0, queue.steps[0]!.due - performance.now()));
    };
    if (!queue.timer) queue.timer = setTimeout(run, Math.max(0, queue.steps[0]!.due - performance.now()));
  };
  /** Writes `chunk` (or ends, when null) to `to` after the delay, preserving order. */
  const later = (to: net.Socket, chunk: Buffer | null) =>
    schedule(to, () => {
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else to.write(chunk);
    });

  /**
   * What the slow rule decided for each data-transfer command of an FTP control connection, in
   * order, and how many passive connections it has opened (the n-th carries the n-th transfer).
   */
  interface FtpTransfers { throttles: Array<Throttle | null>; opened: number }

  const relay = (client: net.Socket, kind: Kind, port: number, ftpOwn: FtpTransfers | null = null, dataIndex = -1) => {
    // No Nagle on either side: the proxy models a link's delay, and Nagle here would hold a reply's
    // second small write until the first is acknowledged (delayed ACK: ~40 ms), so a login's replies
    // took ~2 round trips through it instead of ~1 (session 6, FTP mirror code).
    const upstream = net.connect({ host: targetHost, port, noDelay: true });
    client.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const rule = drop && (drop.on === 'any' || drop.on === kind) && drop.times > 0 ? drop : null;
    if (rule) rule.times--;
    const stallRule = stall && (stall.on === 'any' || stall.on === kind) && stall.times > 0 ? stall : null;
    if (stallRule) stallRule.times--;
    let stalled = false;
    let down = 0;
    let controlBuf = '';
    // The slow rule: commands read from the client; this connection's throttle while it applies.
    const transfers: FtpTransfers | null = opts.ftp && kind === 'control' ? { throttles: [], opened: 0 } : null;
    const commands = new CommandLines(opts.ftp ? 'ftp' : 'http');
    let throttle: Throttle | null = null;
    let throttleKnown = kind !== 'data';
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', () => {
      sockets.delete(client);
      if (throttle) slow?.clientLeft(throttle);
      setTimeout(() => upstream.destroy(), delayMs);
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (stalled) return; // the client keeps waiting (until it gives up, or stop()/cutAll())
      // End, then destroy once flushed (bounded): a destroy right away would drop whatever of the
      // response still waits in the client socket's buffer (a server that closes after each response).
      schedule(
        client,
        () => {
          client.end();
          const t = setTimeout(() => client.destroy(), 2000);
          client.once('close', () => clearTimeout(t));
        },
        5,
      );
    });
    client.on('data', (d: Buffer) => {
      stats.bytesUp += d.length;
      if (slow && kind === 'control') {
        for (const path of commands.push(d)) {
          if (path !== '') stats.slowCandidates.push(path);
          const t = path === '' ? null : slow.claim(path);
          if (t) stats.slowed++;
          if (transfers) transfers.throttles.push(t);
          else throttle = t; // HTTP: until the connection's next request
        }
      }
      later(upstream, d);
    });
    client.on('end', () => later(upstream, null));
    upstream.on('end', () => {
      if (stalled) return;
      if (opts.ftp && kind === 'control' && controlBuf) {
        later(client, Buffer.from(controlBuf, 'latin1'));
        controlBuf = '';
      }
      later(client, null);
    });
    upstream.on('data', async (d: Buffer) => {
      if (stalled) return; // swallowed: the client sees a connection that no longer delivers
      if (stallRule && down + d.length >= stallRule.afterBytes) {
        stalled = true;
        stats.stalled++;
        d = d.subarray(0, Math.max(0, stallRule.afterBytes - down));
        if (d.length === 0) return;
      }
      if (rule) {
        const room = rule.afterBytes - down;
        if (d.length >= room) {
          stats.bytesDown += room;
          stats.dropped++;
          const part = d.subarray(0, Math.max(0, room));
          upstream.destroy();
          const cut = () => {
            client.write(part, () => client.destroy());
          };
          if (delayMs > 0) setTimeout(cut, delayMs);
          else cut();
          down = rule.afterBytes;
          return;
        }
      }
      down += d.length;
      stats.bytesDown += d.length;
      if (!throttleKnown) {
        // A data connection's first bytes: its transfer command went up the control connection before.
        throttleKnown = true;
        throttle = ftpOwn?.throttles[dataIndex] ?? null;
      }
      if (throttle) {
        const t = throttle;
        for (const { piece, dueAt } of t.pace(d, performance.now() + delayMs)) {
          scheduleAt(client, () => {
            t.pending--;
            if (!client.destroyed) client.write(piece);
          }, dueAt);
        }
        return;
      }
      if (!(opts.ftp && kind === 'control')) return later(client, d);
      // FTP control: rewrite complete lines, keep a partial line for the next chunk.
      controlBuf += d.toString('latin1');
      const nl = controlBuf.lastIndexOf('\n');
      if (nl < 0) return;
      const lines = controlBuf.slice(0, nl + 1);
      controlBuf = controlBuf.slice(nl + 1);
      upstream.pause();
      try {
        later(client, Buffer.from(await rewritePassive(lines, transfers), 'latin1'));
      } finally {
        upstream.resume();
      }
    });
  };

  /** Opens a one-shot listener relaying to the server's passive `port`; returns the proxy's port. */
  const passiveRelay = (port: number, own: FtpTransfers | null): Promise<number> =>
    new Promise((resolve, reject) => {
      const index = own ? own.opened++ : -1;
      const srv = net.createServer((c) => {
        stats.dataConnections++;
        srv.close();
        servers.delete(srv);
        clearTimeout(timer);
        relay(c, 'data', port, own, index);
      });
      servers.add(srv);
      // Nobody connected within 30 s: give up the listener (bounded resources).
      const timer = setTimeout(() => {
        srv.close();
        servers.delete(srv);
      }, 30_000);
      timer.unref();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
    });

  const rewritePassive = async (text: string, own: FtpTransfers | null): Promise<string> => {
    const out: string[] = [];
    for (const line of text.split(/(?<=\n)/)) {
      const pasv = /^227 (.*?)\(?(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)?(.*)$/s.exec(line);
      const epsv = /^229 (.*)\(\|\|\|(\d+)\|\)(.*)$/s.exec(line);
      if (pasv) {
        const port = Number(pasv[6]) * 256 + Number(pasv[7]);
        const mine = await passiveRelay(port, own);
        out.push(`227 Entering Passive Mode (127,0,0,1,${mine >> 8},${mine & 255}).\r\n`);
      } else if (epsv) {
        const mine = await passiveRelay(Number(epsv[2]), own);
        out.push(`229 ${epsv[1]}(|||${mine}|)${epsv[3]}`);
      } else {
        out.push(line);
      }
    }
    return out.join('');
  };

  const main = net.createServer((c) => {
    stats.connections++;
    relay(c, 'control', opts.targetPort);
  });
  servers.add(main);
  await new Promise<void>((resolve, reject) => {
    main.once('error', reject);
    main.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (main.address() as net.AddressInfo).port;

  return {
    port,
    hostPort: `127.0.0.1:${port}`,
    stats,
    setDrop(rule) {
      drop = rule ? { afterBytes: rule.afterBytes, times: rule.times ?? 1, on: rule.on ?? (opts.ftp ? 'data' : 'any') } : null;
    },
    setStall(rule) {
      stall = rule ? { afterBytes: rule.afterBytes, times: rule.times ?? 1, on: rule.on ?? (opts.ftp ? 'data' : 'any') } : null;
    },
    setSlow(rule) {
      slow = rule ? new SlowTransfers(rule) : null;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    cutAll() {
      for (const s of [...sockets]) s.destroy();
    },
    async stop() {
      for (const s of [...sockets]) s.destroy();
      await Promise.all([...servers].map((s) => new Promise<void>((r) => s.close(() => r()))));
      servers.clear();
    },
  };
}
