/**
 * A real forward proxy on 127.0.0.1 for the dispatcher tests: tunnels `CONNECT host:port` (what
 * undici's ProxyAgent and EnvHttpProxyAgent send, also for http:// targets) and forwards
 * absolute-form requests, recording each, so a test can count what went through it.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';

export interface ProxiedRequest {
  /** `CONNECT` for a tunnel, else the forwarded request's method. */
  readonly method: string;
  /** `host:port` for a tunnel, else the absolute URL. */
  readonly target: string;
}

export interface ForwardProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** How many tunnels or forwarded requests went to `host:port`. */
  countTo(hostPort: string): number;
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? 'GET', target: incoming.url ?? '' });
    const target = new URL(incoming.url ?? '');
    const upstream = httpRequest(
      target,
      { method: incoming.method, headers: incoming.headers },
      (response: IncomingMessage) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    const target = incoming.url ?? '';
    requests.push({ method: 'CONNECT', target });
    const colon = target.lastIndexOf(':');
    const upstream = connect(Number(target.slice(colon + 1)), target.slice(0, colon), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    countTo: (hostPort) =>
      requests.filter((r) => r.target === hostPort || r.target.startsWith(`http://${hostPort}/`)).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
