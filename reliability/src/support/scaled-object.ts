import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './paths.js';

/** One `metrics-api` trigger of a KEDA ScaledObject. */
export interface MetricsApiTrigger {
  /** The URL KEDA polls, as written in the manifest (the in-cluster Service address). */
  url: string;
  /** The field of the JSON answer that holds the value. */
  valueLocation: string;
  /** Value per replica: KEDA asks for ceil(value / targetValue) replicas. */
  targetValue: number;
}

/** What the suite needs of the workers' ScaledObject. */
export interface WorkerScaling {
  minReplicaCount: number;
  maxReplicaCount: number;
  /** Seconds between KEDA's polls. */
  pollingInterval: number;
  triggers: MetricsApiTrigger[];
}

/** The workers' KEDA ScaledObject, read from `deploy/kubernetes/base/worker.yaml`. */
export function readWorkerScaling(): WorkerScaling {
  const file = join(REPO_ROOT, 'deploy', 'kubernetes', 'base', 'worker.yaml');
  const scaled = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => document.toJS() as { kind?: string; spec?: Record<string, unknown> })
    .find((object) => object.kind === 'ScaledObject');
  if (!scaled?.spec) throw new Error(`${file} has no ScaledObject`);
  const spec = scaled.spec as {
    minReplicaCount: number;
    maxReplicaCount: number;
    pollingInterval: number;
    triggers: { type: string; metadata: Record<string, string> }[];
  };
  return {
    minReplicaCount: spec.minReplicaCount,
    maxReplicaCount: spec.maxReplicaCount,
    pollingInterval: spec.pollingInterval,
    triggers: spec.triggers.map(({ type, metadata }) => {
      if (type !== 'metrics-api') throw new Error(`${file}: unexpected trigger type ${type}`);
      return {
        url: metadata.url ?? '',
        valueLocation: metadata.valueLocation ?? '',
        targetValue: Number(metadata.targetValue),
      };
    }),
  };
}
