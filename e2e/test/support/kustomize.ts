import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** One rendered Kubernetes object (enough typing for the tests that read it). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
  [key: string]: any;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: { name: string; files?: string[] }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
}

const FEATURES = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'patches',
  'images',
  'configMapGenerator',
  'generatorOptions',
]);

/** The objects of a multi-document YAML text (empty documents dropped). */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

/**
 * Renders a kustomization without kubectl, so that every machine checks the manifests' inputs
 * against kubectl's checked-in rendering (`e2e/test/kubernetes-rendered/`). It implements only
 * the fields Conveyor's manifests use (and refuses any other), with kustomize's semantics for
 * them: resources (files and folders), namespace, images, configMapGenerator from files without
 * a hash suffix, and strategic-merge patches of maps and of lists keyed by `name`.
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parse(readFileSync(file, 'utf8')) as Kustomization;
  const unknown = Object.keys(kustomization).filter((key) => !FEATURES.has(key));
  if (unknown.length > 0) throw new Error(`${file}: unsupported fields ${unknown.join(', ')}`);
  if (kustomization.generatorOptions && !kustomization.generatorOptions.disableNameSuffixHash) {
    throw new Error(`${file}: only generatorOptions.disableNameSuffixHash is supported`);
  }

  const objects: K8sObject[] = [];
  for (const entry of kustomization.resources ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path));
    else objects.push(...readObjects(path));
  }
  for (const generator of kustomization.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const name of generator.files ?? []) {
      data[basename(name)] = readFileSync(resolve(dir, name), 'utf8');
    }
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  for (const { path } of kustomization.patches ?? []) {
    for (const patch of readObjects(resolve(dir, path))) {
      const target = objects.find(
        (object) => object.kind === patch.kind && object.metadata.name === patch.metadata.name,
      );
      if (!target) throw new Error(`${path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      mergePatch(target, patch);
    }
  }
  for (const image of kustomization.images ?? []) {
    for (const container of containersOf(objects)) {
      const [name, tag] = splitImage(container.image as string);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}:${image.newTag ?? tag}`;
    }
  }
  if (kustomization.namespace !== undefined) {
    for (const object of objects) object.metadata.namespace = kustomization.namespace;
  }
  return objects;
}

function readObjects(path: string): K8sObject[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  return parseObjects(readFileSync(path, 'utf8'));
}

/** Every container (and init container) of the workloads among `objects`. */
// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
export function containersOf(objects: K8sObject[]): any[] {
  return objects.flatMap((object) => {
    const pod = object.spec?.template?.spec;
    return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
  });
}

function splitImage(image: string): [string, string | undefined] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/')
    ? [image.slice(0, colon), image.slice(colon + 1)]
    : [image, undefined];
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNamedList = (value: unknown): value is { name: string }[] =>
  Array.isArray(value) && value.every((item) => isMap(item) && typeof item.name === 'string');

/** Strategic merge, as far as Conveyor's patches need it: maps merge, named lists merge by name. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isMap(current) && isMap(value)) mergePatch(current, value);
    else if (isNamedList(current) && isNamedList(value)) {
      for (const item of value) {
        const existing = current.find((entry) => entry.name === item.name);
        if (existing) mergePatch(existing, item);
        else current.push(item);
      }
    } else target[key] = value;
  }
}

/** The overlays under `root` (each a folder with a kustomization.yaml). */
export function overlayDirs(root: string): string[] {
  const overlays = join(root, 'overlays');
  return readdirSync(overlays)
    .map((name) => join(overlays, name))
    .filter((dir) => existsSync(join(dir, 'kustomization.yaml')));
}
