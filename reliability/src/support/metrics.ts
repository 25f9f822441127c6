import { request } from './http.js';

/** One sample of a Prometheus text exposition, by metric name (labels ignored, first wins). */
export async function readMetric(url: string, name: string): Promise<number> {
  const answer = await request(url, { timeoutMs: 5000 });
  if (answer.status !== 200) throw new Error(`${url} answered ${answer.status}`);
  const line = answer.text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`${url} has no ${name}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Bytes as MiB with one decimal, for the report. */
export const mib = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
