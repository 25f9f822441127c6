// The checked-in Kubernetes snapshots (see kubernetes-snapshots.mjs, which renders them with
// kubectl): where they are, what they were rendered from and by. Nothing here runs kubectl, so
// the tests import this file and never depend on kubectl being installed.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes');
export const SNAPSHOT_DIR = join(ROOT, 'e2e', 'test', 'kubernetes-rendered');
export const RENDER_COMMAND = 'pnpm --filter @conveyor/e2e render:kubernetes';

const DIGEST_LINE = /^# inputs: sha256 ([0-9a-f]{64})$/m;
const KUBECTL_LINE = /^# rendered by: (.+)$/m;

/** The overlays under deploy/kubernetes/overlays (each a folder with a kustomization.yaml). */
export function overlayNames() {
  const overlays = join(KUBERNETES_DIR, 'overlays');
  return readdirSync(overlays)
    .filter((name) => existsSync(join(overlays, name, 'kustomization.yaml')))
    .sort();
}

/**
 * sha256 over every file under `dir` (deploy/kubernetes/ unless given; paths and bytes), so a
 * snapshot records exactly which inputs it was rendered from. It covers more than one overlay
 * reads (any change asks for all snapshots to be rendered again): simple, and never lenient.
 */
export function inputDigest(dir = KUBERNETES_DIR) {
  const files = [];
  const walk = (folder) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(dir);
  const hash = createHash('sha256');
  for (const path of files.map((file) => relative(dir, file)).sort()) {
    hash
      .update(`${path}\0`)
      .update(readFileSync(join(dir, path)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** The snapshot of one overlay: kubectl's YAML, the input digest and kubectl's version. */
export function readSnapshot(overlay) {
  const path = join(SNAPSHOT_DIR, `${overlay}.yaml`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`${RENDER_COMMAND}\``);
  const text = readFileSync(path, 'utf8');
  const digest = DIGEST_LINE.exec(text)?.[1];
  const renderedBy = KUBECTL_LINE.exec(text)?.[1];
  if (!digest || !renderedBy) throw new Error(`${path} has no header: run \`${RENDER_COMMAND}\``);
  return { path, text, digest, renderedBy };
}

const KUSTOMIZE_VERSION = /\(kustomize (v[^)]+)\)/;

/**
 * Whether a kubectl renders as the one a snapshot names: the rendering is kustomize's, so the
 * same kustomize version is what counts (another one may order or default fields differently).
 */
export function rendersLike(kubectl, renderedBy) {
  const version = KUSTOMIZE_VERSION.exec(kubectl)?.[1];
  return version !== undefined && version === KUSTOMIZE_VERSION.exec(renderedBy)?.[1];
}
