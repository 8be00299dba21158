/**
 * A TCP proxy (node:net) between the server and its database that a test can
 * cut and restore, to play a database outage without stopping the shared
 * PostgreSQL server. Modes of an outage:
 *  - "refuse": nothing listens (connection refused), as when PostgreSQL is down;
 *  - "reset": connections are accepted and closed at once, as when it restarts;
 *  - "blackhole": connections are accepted and never answered, as a cut network.
 * Cutting also closes every open connection, so pooled clients break too.
 */
import net from "node:net";

export type OutageMode = "refuse" | "reset" | "blackhole";

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted and forwarded so far. */
  readonly forwardedCount: number;
  cut(mode: OutageMode): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: OutageMode | null = null;
  let forwardedCount = 0;
  const open = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === "reset") return void client.destroy();
    if (mode === "blackhole") return; // held open, never answered, closed by restore()
    forwardedCount += 1;
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const dropAll = () => {
    for (const socket of open) socket.destroy();
  };
  await listen();
  return {
    get port() {
      return port;
    },
    get forwardedCount() {
      return forwardedCount;
    },
    async cut(next: OutageMode) {
      mode = next;
      dropAll();
      if (next === "refuse") await stopListening();
      else if (!server.listening) await listen();
    },
    async restore() {
      mode = null;
      dropAll();
      if (!server.listening) await listen();
    },
    async close() {
      mode = "reset";
      dropAll();
      await stopListening();
    },
  };
}
