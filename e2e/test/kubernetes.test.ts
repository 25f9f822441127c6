import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvironment, redisEnvSchema } from '@conveyor/redis';
import { getFreePort, RedisServer, spawnProcess, waitForHttp } from '@conveyor/testing';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inputDigest,
  KUBERNETES_DIR,
  RENDER_COMMAND,
  readSnapshot,
  rendersLike,
  SNAPSHOT_DIR,
} from '../scripts/kubernetes-snapshot-files.mjs';
import {
  containersOf,
  type K8sObject,
  overlayDirs,
  parseObjects,
  renderKustomization,
} from './support/kustomize.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const k8sRoot = KUBERNETES_DIR;
const overlays = overlayDirs(k8sRoot);
/** An overlay's objects as kubectl kustomize rendered them (the checked-in snapshot). */
const renderedByKubectl = (overlay: string) => parseObjects(readSnapshot(overlay).text);

/** The schema model of every kind the manifests may hold. */
// biome-ignore lint/suspicious/noExplicitAny: the models' constructors take their own shapes
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** Each Conveyor app: the Deployment that runs it, its entry point and its shutdown default. */
const APPS = {
  'conveyor-api': { dir: 'api', portVariable: 'PORT', shutdownDefaultMs: 10_000 },
  'conveyor-worker': { dir: 'worker', portVariable: 'WORKER_HTTP_PORT', shutdownDefaultMs: 25_000 },
  'conveyor-dashboard': { dir: 'dashboard', portVariable: 'PORT', shutdownDefaultMs: 10_000 },
} as const;
type AppName = keyof typeof APPS;

const byKey = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
const sorted = (objects: K8sObject[]) =>
  [...objects].sort((a, b) => byKey(a).localeCompare(byKey(b)));
const workloads = (objects: K8sObject[]) =>
  objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet');
const deploymentOf = (objects: K8sObject[], name: AppName) => {
  const found = objects.find(
    (object) => object.kind === 'Deployment' && object.metadata.name === name,
  );
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
};

/** Every JavaScript file an app runs: its own build and the workspace packages'. */
function sourceTextOf(app: string): string {
  const dirs = [
    join(root, 'apps', app, 'dist'),
    ...['redis', 'queues', 'telemetry'].map((p) => join(root, 'packages', p, 'dist')),
  ];
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.js')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const dir of dirs) walk(dir);
  return texts.join('\n');
}

/**
 * The environment a container would get in the cluster: its ConfigMap entries, its Secrets'
 * keys (given `secret` values, as the operator would create them) and its own `env`.
 */
function containerEnv(
  objects: K8sObject[],
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
  container: any,
  secret: (secretName: string, key: string) => string | undefined,
  redisSecret: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const map = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef.name,
      );
      expect(map, `ConfigMap ${source.configMapRef.name}`).toBeDefined();
      Object.assign(env, map?.data);
    }
    if (source.secretRef) {
      expect(source.secretRef.name).toBe('conveyor-redis');
      Object.assign(env, redisSecret);
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secret(ref.name, ref.key);
      if (value !== undefined) env[variable.name] = value;
      else
        expect(ref.optional, `${variable.name} must be optional when its Secret may lack it`).toBe(
          true,
        );
    }
  }
  return env;
}

describe('Kubernetes manifests (no cluster here: rendered and validated against the schemas)', () => {
  it('has a dev and a production overlay, plus Sentinel and Cluster variants, each rendered', () => {
    const names = overlays.map((dir) => basename(dir)).sort();
    expect(names).toEqual(['dev', 'production', 'production-cluster', 'production-sentinel']);
    const rendered = readdirSync(SNAPSHOT_DIR).map((file) => file.replace(/\.yaml$/, ''));
    expect(rendered.sort()).toEqual(names);
  });

  it('records the inputs of a rendering: any change under deploy/kubernetes/ shows', () => {
    const copy = mkdtempSync(join(tmpdir(), 'conveyor-k8s-inputs-'));
    try {
      cpSync(k8sRoot, copy, { recursive: true });
      expect(inputDigest(copy)).toBe(inputDigest());
      appendFileSync(join(copy, 'base', 'api.yaml'), '# a comment\n');
      expect(inputDigest(copy)).not.toBe(inputDigest());
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('checks against kubectl only with the kustomize that rendered the snapshots', () => {
    const snapshot = 'kubectl v1.32.4 (kustomize v5.5.0)';
    expect(rendersLike('kubectl v1.32.9 (kustomize v5.5.0)', snapshot)).toBe(true);
    expect(
      rendersLike('kubectl v1.30.2 (kustomize v5.0.4-0.20230601165947-6ce0bf390ce3)', snapshot),
    ).toBe(false);
    expect(rendersLike('kubectl v1.32.4', snapshot)).toBe(false);
  });

  for (const dir of overlays) {
    const name = basename(dir);
    describe(`overlay ${name}`, () => {
      // What the tests below check is kubectl's own rendering, checked in, so that they never
      // call kubectl (Debian ships none recent enough); `render:kubernetes --check` compares
      // the snapshots with a live kubectl.
      const snapshot = readSnapshot(name);
      const objects = parseObjects(snapshot.text);

      it('is checked in as kubectl kustomize rendered the current inputs', () => {
        expect(
          snapshot.digest,
          `deploy/kubernetes/ changed since ${snapshot.path} was rendered: run \`${RENDER_COMMAND}\``,
        ).toBe(inputDigest());
      });

      it("renders, from the inputs, the same objects as kubectl's rendering", () => {
        expect(objects.length).toBeGreaterThanOrEqual(12);
        expect(new Set(objects.map(byKey)).size).toBe(objects.length);
        expect(sorted(renderKustomization(dir))).toEqual(sorted(objects));
      });

      it('validates every object against the Kubernetes and KEDA schemas', () => {
        for (const object of objects) {
          const Model = MODELS[`${object.apiVersion}/${object.kind}`];
          expect(Model, `a schema for ${object.apiVersion} ${object.kind}`).toBeDefined();
          expect(
            () => new (Model as NonNullable<typeof Model>)(object).validate(),
            byKey(object),
          ).not.toThrow();
        }
      });

      it('runs every container as non-root on a read-only root, with requests, limits and probes', () => {
        for (const workload of workloads(objects)) {
          const pod = workload.spec.template.spec;
          expect(pod.securityContext?.runAsNonRoot, byKey(workload)).toBe(true);
          expect(pod.automountServiceAccountToken, byKey(workload)).toBe(false);
          for (const container of pod.containers) {
            const where = `${byKey(workload)} ${container.name}`;
            expect(container.securityContext, where).toMatchObject({
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            });
            for (const kind of ['requests', 'limits']) {
              expect(container.resources?.[kind]?.cpu, `${where} ${kind}`).toBeDefined();
              expect(container.resources?.[kind]?.memory, `${where} ${kind}`).toBeDefined();
            }
            expect(container.livenessProbe, where).toBeDefined();
            expect(container.readinessProbe, where).toBeDefined();
          }
        }
      });

      it('probes /healthz and /readyz on the port each app listens on', () => {
        for (const app of Object.keys(APPS) as AppName[]) {
          const [container] = deploymentOf(objects, app).spec.template.spec.containers;
          const port = container.ports.find((p: { name: string }) => p.name === 'http');
          expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
          expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
          const listen = container.env.find(
            (v: { name: string }) => v.name === APPS[app].portVariable,
          );
          expect(Number(listen?.value), `${app} ${APPS[app].portVariable}`).toBe(
            port.containerPort,
          );
          expect(container.command).toEqual(['node', `apps/${APPS[app].dir}/dist/main.js`]);
        }
        for (const service of objects.filter((o) => o.kind === 'Service')) {
          const target = objects.find(
            (o) =>
              o.kind !== 'Service' &&
              o.spec?.selector?.matchLabels?.['app.kubernetes.io/name'] ===
                service.spec.selector['app.kubernetes.io/name'],
          );
          expect(target, `${byKey(service)} selects a workload`).toBeDefined();
          const names = target?.spec.template.spec.containers.flatMap(
            (c: { ports: { name: string }[] }) => c.ports.map((p) => p.name),
          );
          for (const port of service.spec.ports) expect(names).toContain(port.targetPort);
        }
      });

      it('sets only variables the apps read, and every Redis setting parses', () => {
        for (const app of Object.keys(APPS) as AppName[]) {
          const source = sourceTextOf(APPS[app].dir);
          const [container] = deploymentOf(objects, app).spec.template.spec.containers;
          const env = containerEnv(objects, container, () => 'x'.repeat(24), {
            REDIS_PASSWORD: 'x'.repeat(24),
          });
          for (const variable of Object.keys(env)) {
            expect(source.includes(variable), `${app} reads ${variable}`).toBe(true);
          }
          expect(
            () => parseEnvironment({ redis: redisEnvSchema }, env),
            `${app}'s Redis settings`,
          ).not.toThrow();
        }
      });

      it('gives each app longer to stop than its shutdown timeout', () => {
        for (const app of Object.keys(APPS) as AppName[]) {
          const pod = deploymentOf(objects, app).spec.template.spec;
          const timeout = pod.containers[0].env.find(
            (v: { name: string }) => v.name === 'SHUTDOWN_TIMEOUT_MS',
          );
          const shutdownMs = timeout ? Number(timeout.value) : APPS[app].shutdownDefaultMs;
          expect(pod.terminationGracePeriodSeconds * 1000, app).toBeGreaterThan(shutdownMs);
        }
      });

      it('takes secrets only from Secrets, and scales workers on the API backlog', () => {
        const secretish = /TOKEN|SECRET|PASSWORD|REDIS_URL/;
        for (const container of containersOf(objects)) {
          for (const variable of container.env ?? []) {
            if (secretish.test(variable.name))
              expect(variable.valueFrom?.secretKeyRef, variable.name).toBeDefined();
          }
        }
        for (const map of objects.filter(
          (o) => o.kind === 'ConfigMap' && o.metadata.name === 'conveyor-config',
        )) {
          for (const key of Object.keys(map.data)) expect(key).not.toMatch(secretish);
        }
        const scaled = objects.find((o) => o.kind === 'ScaledObject');
        expect(scaled?.spec.scaleTargetRef.name).toBe('conveyor-worker');
        expect(scaled?.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
        expect(scaled?.spec.maxReplicaCount).toBeGreaterThan(scaled?.spec.minReplicaCount);
        expect(scaled?.spec.cooldownPeriod).toBeGreaterThan(0);
        const urls = scaled?.spec.triggers.map(
          (t: { metadata: { url: string } }) => t.metadata.url,
        );
        expect(urls).toEqual([
          'http://conveyor-api:3000/v1/queues/ingestion/backlog',
          'http://conveyor-api:3000/v1/queues/slack-events/backlog',
        ]);
        const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
        expect(hpa?.spec.scaleTargetRef.name).toBe('conveyor-api');
        expect(hpa?.spec.metrics[0].resource.name).toBe('cpu');
        expect(
          objects
            .filter((o) => o.kind === 'PodDisruptionBudget')
            .map((o) => o.metadata.name)
            .sort(),
        ).toEqual(['conveyor-api', 'conveyor-dashboard', 'conveyor-worker']);
      });
    });
  }

  it('refuses a wrong type or a missing required field (the validation bites)', () => {
    const deployment = deploymentOf(renderedByKubectl('dev'), 'conveyor-api');
    const wrongType = structuredClone(deployment);
    wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    expect(() => new Deployment(wrongType).validate()).toThrow();
    const noName = structuredClone(deployment);
    delete noName.spec.template.spec.containers[0].name;
    expect(() => new Deployment(noName).validate()).toThrow();
    expect(() => new Deployment(deployment).validate()).not.toThrow();
  });

  it("runs the dev Redis with the repository's redis.conf, under a memory limit above its maxmemory", () => {
    const conf = readFileSync(join(root, 'redis.conf'), 'utf8');
    expect(readFileSync(join(k8sRoot, 'overlays', 'dev', 'redis.conf'), 'utf8')).toBe(conf);
    const objects = renderedByKubectl('dev');
    const redis = objects.find(
      (o) => o.kind === 'StatefulSet' && o.metadata.name === 'conveyor-redis',
    );
    expect(redis).toBeDefined();
    const [container] = (redis as K8sObject).spec.template.spec.containers;
    const maxmemory = /^maxmemory (\d+)gb$/m.exec(conf)?.[1];
    const limitMi = /^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1];
    expect(Number(limitMi) * 2 ** 20).toBeGreaterThan(Number(maxmemory) * 2 ** 30);
    expect(redis?.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  });
});

describe('the apps, started with the environment the dev overlay gives them', () => {
  it("the image's health check fails for a process that runs no Conveyor app", () => {
    const health = spawnSync('node', ['scripts/healthcheck.mjs', '--pid', String(process.pid)], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(health.status).toBe(1);
    expect(health.stderr).toContain('runs no Conveyor app');
  });

  const objects = renderedByKubectl('dev');
  const redisPassword = randomBytes(16).toString('hex');
  const apiSecret = randomBytes(16).toString('hex');
  const secrets: Record<string, Record<string, string>> = {
    'conveyor-api': {
      API_TOKENS: `keda:${apiSecret}`,
      SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    },
    'conveyor-dashboard': {
      DASHBOARD_USERNAME: 'admin',
      DASHBOARD_PASSWORD: randomBytes(12).toString('hex'),
    },
  };
  let redis: RedisServer;
  const outputDir = mkdtempSync(join(tmpdir(), 'conveyor-k8s-'));

  beforeAll(async () => {
    redis = await RedisServer.start({ password: redisPassword });
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(outputDir, { recursive: true, force: true });
  });

  for (const app of Object.keys(APPS) as AppName[]) {
    it(`${app} starts, answers its probes, and stops within its grace period`, async () => {
      const pod = deploymentOf(objects, app).spec.template.spec;
      const [container] = pod.containers;
      const env = containerEnv(objects, container, (name, key) => secrets[name]?.[key], {
        REDIS_PASSWORD: redisPassword,
      });
      // What only the cluster provides: Redis's address, a free port, a writable volume.
      const port = await getFreePort();
      Object.assign(env, {
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redis.port),
        [APPS[app].portVariable]: String(port),
        ...(env.INGEST_OUTPUT_DIR ? { INGEST_OUTPUT_DIR: outputDir } : {}),
      });
      const [command, ...args] = container.command as string[];
      const child = spawnProcess(command as string, args, {
        name: app,
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      try {
        for (const probe of [container.livenessProbe, container.readinessProbe]) {
          await waitForHttp(`http://127.0.0.1:${port}${probe.httpGet.path}`, {
            timeoutMs: 20_000,
            status: 200,
          });
        }
        // The image's HEALTHCHECK finds the app from its command line and asks the same port.
        const health = spawnSync('node', ['scripts/healthcheck.mjs', '--pid', String(child.pid)], {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', ...env },
          encoding: 'utf8',
        });
        expect(health.status, health.stderr).toBe(0);
        child.kill('SIGTERM');
        const exit = await child.exited;
        expect(exit.code, child.output()).toBe(0);
      } finally {
        await child.stop(pod.terminationGracePeriodSeconds * 1000);
      }
    });
  }
});
