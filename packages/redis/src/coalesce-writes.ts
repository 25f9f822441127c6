import type { Socket } from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import { flushAtTurnEnd } from './at-turn-end.js';

const patched = new WeakSet<Socket>();

/**
 * Makes the writes on `socket` during one turn of the event loop leave in a single `writev`: the
 * first write corks the socket, and the check phase of the same turn uncorks it (after every
 * socket that was ready in the poll phase has been served, so concurrent requests share a write,
 * and after the turn's `atTurnEnd` tasks, so the batched commands they send join it).
 * Unlike ioredis auto-pipelining, nothing waits for an earlier reply.
 */
function corkPerTick(socket: Socket): void {
  if (patched.has(socket)) return;
  patched.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: unknown[]) {
    if (!corked) {
      corked = true;
      socket.cork();
      flushAtTurnEnd(uncork);
    }
    return (write as (...writeArgs: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}

function watch(client: Redis): void {
  const onConnect = () => corkPerTick(client.stream as Socket);
  client.on('connect', onConnect);
  if (client.status === 'connect' || client.status === 'ready') onConnect();
}

/**
 * Sends the commands a process issues in the same turn of the event loop (concurrent requests each
 * enqueueing, a worker completing several jobs) in one socket write instead of one each. Writes are system
 * calls, and in `pnpm bench` they were the largest single cost of an enqueue in the API. Applied
 * again on every reconnection, and to every node of a Cluster.
 */
export function coalesceWrites(connection: Redis | Cluster): void {
  if ('nodes' in connection) {
    for (const node of connection.nodes()) watch(node);
    connection.on('+node', (node: Redis) => watch(node));
    return;
  }
  watch(connection);
}
