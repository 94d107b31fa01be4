// A broker of our own for trying the module out: started by `npm start` only when no broker
// URL was given and nothing listens on the default address. Never used when a URL is given.
import { createConnection, createServer, type Server } from 'node:net';

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

/** True if something accepts TCP connections at host:port within `timeoutMs`. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Port 0 picks a free port (the URL tells which). */
export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  // Loaded only here: a module on a real broker never pays aedes's memory (~4 MB resident).
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker({ drainTimeout: 30000 });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `mqtt://${host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
