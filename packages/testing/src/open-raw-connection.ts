import { connect, type Socket } from 'node:net';

/** A raw TCP connection to an HTTP server, for tests of how the server treats its sockets. */
export interface RawConnection {
  socket: Socket;
  /** Sends bytes as they are (a partial request line, headers without their end, ...). */
  write(text: string): void;
  /** Resolves once the server (or the test) closed the connection, with everything received. */
  closed: Promise<string>;
  /**
   * What {@link RawConnection.closed} resolves with if that happens within `ms`, else
   * `'still open'`.
   */
  closedWithin(ms: number): Promise<string>;
}

/** Opens a TCP connection to `host:port` and resolves once it is connected. */
export async function openRawConnection(port: number, host = '127.0.0.1'): Promise<RawConnection> {
  const socket = connect(port, host);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return {
    socket,
    write: (text) => void socket.write(text),
    closed,
    closedWithin: (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(resolve, ms, 'still open');
      });
      return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    },
  };
}
