// The simulator's HTTPS port: a connection that opens with a TLS handshake goes to the HTTPS server; anything else
// (plain HTTP to the HTTPS port) gets one HTTP 400 that says so, in the API's envelope, and is closed, so a client
// misconfigured with http:// reads why instead of a dropped connection.
import type { Server as HttpsServer } from 'node:https';
import { type Server, type Socket, createServer } from 'node:net';

/** The first byte of every TLS record that opens a connection (a handshake). */
const TLS_HANDSHAKE = 0x16;

const PLAIN_HTTP_ANSWER = (() => {
  const body = JSON.stringify({ statusCode: 'Error', errors: ['this port speaks HTTPS only: plain HTTP was sent to it; use https://'] });
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
})();

export interface TlsOnlyPort {
  /** The server to listen on. */
  front: Server;
  /**
   * Destroys every connection of the port: the HTTPS server, which never listens itself, tracks none of the ones
   * it was handed.
   */
  closeAll(): void;
}

/** A listening front for `https`: TLS goes through, plain HTTP is answered with a 400 naming the problem. */
export function tlsOnlyPort(https: HttpsServer): TlsOnlyPort {
  const open = new Set<Socket>();
  const front = createServer((socket: Socket) => {
    open.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => open.delete(socket));
    socket.once('readable', () => {
      const head = socket.read(1) as Buffer | null;
      if (head === null) {
        socket.destroy();
        return;
      }
      socket.unshift(head);
      if (head[0] === TLS_HANDSHAKE) https.emit('connection', socket);
      else socket.end(PLAIN_HTTP_ANSWER);
    });
  });
  return { front, closeAll: () => { for (const s of open) s.destroy(); } };
}
