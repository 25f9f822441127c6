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

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, char: string) =>
        char === 'n' ? '\n' : char,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * PromQL's `sum by (labels) (name)` over the samples of every target: the key is the label
 * values joined with `/`.
 */
export function sumBy(samples: Sample[], name: string, by: string[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = by.map((label) => sample.labels[label] ?? '').join('/');
    sums[key] = (sums[key] ?? 0) + sample.value;
  }
  return sums;
}

/** Bytes as MiB with one decimal, for the report. */
export const mib = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
