import { connect } from 'node:net';
import { request } from '../support/http.js';
import type { HostileCase } from './hostile-case.js';

/** What the server did with one hostile request. */
export interface CaseOutcome {
  label: string;
  /** Every status line answered (raw requests may get several); empty when none came. */
  statuses: number[];
  /** The connection closed or timed out without an answer. */
  unanswered: boolean;
  /** The start of the (last) answer, for the report. */
  excerpt: string;
}

/**
 * Longest wait for a raw answer to complete (the server closing the connection): a request the
 * server still waits on (a body shorter than announced) counts as unanswered.
 */
const RAW_TIMEOUT_MS = 3000;

/** Sends one case to `origin` (`http://127.0.0.1:port`) and reports what came back. */
export async function sendCase(origin: string, hostile: HostileCase): Promise<CaseOutcome> {
  if (hostile.kind === 'raw') return sendRaw(origin, hostile.label, hostile.bytes);
  const answer = await request(`${origin}${hostile.path}`, {
    method: hostile.method,
    headers: hostile.headers,
    ...(hostile.body === undefined ? {} : { body: hostile.body }),
    timeoutMs: 15_000,
  });
  return {
    label: hostile.label,
    statuses: answer.status === 0 ? [] : [answer.status],
    unanswered: answer.status === 0,
    excerpt: answer.error ?? answer.text.slice(0, 160),
  };
}

function sendRaw(origin: string, label: string, bytes: Buffer): Promise<CaseOutcome> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) =>
        Number(match[1]),
      );
      resolve({
        label,
        statuses,
        unanswered: statuses.length === 0,
        excerpt: text.slice(0, 160),
      });
    };
    const timer = setTimeout(finish, RAW_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', finish);
    // Not half-closed: Node's HTTP server aborts requests still in progress when the client
    // ends its side, which would hide the answers of asynchronous routes.
    socket.on('connect', () => socket.write(bytes));
  });
}
