/**
 * Invariants of the static deployment files in deploy/: every Kubernetes manifest parses, one
 * Deployment per role, the same ConfigMap and Secret on every container, probes and resources
 * everywhere, a PDB per Deployment, compose with the same roles over one env file, and the
 * Dockerfile's production shape. Only documented variables may appear in the env files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, variables } from '../../shared/config';
import type { Json } from '../support/http';

const DEPLOY = join(__dirname, '..', '..', 'deploy');
const K8S = join(DEPLOY, 'k8s');
const ROLES = ['!', 'async-task:process', 'workflow:process'];
const CONFIG_MAP = 'clusterbase-config';
const SECRET = 'clusterbase-secrets';

const documented = new Set<string>();
for (const [name, spec] of Object.entries(variables)) {
  documented.add(name);
  for (const alias of (spec as { aliases?: readonly string[] }).aliases ?? []) documented.add(alias);
}
const secretNames = new Set(Object.entries(variables).filter(([, spec]) => (spec as { secret?: boolean }).secret).map(([name]) => name));

function loadK8s(): { file: string; doc: Json }[] {
  const files = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f));
  const out: { file: string; doc: Json }[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      const doc = document.toJS();
      if (doc !== null && doc !== undefined) out.push({ file, doc });
    }
  }
  return out;
}

function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not KEY=VALUE: ${line}`);
    env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

const docs = loadK8s();
const ofKind = (kind: string): Json[] => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
const configMap = ofKind('ConfigMap').find((c) => c.metadata.name === CONFIG_MAP);
const secret = ofKind('Secret').find((s) => s.metadata.name === SECRET);
const secretKeys = (): string[] => Object.keys({ ...(secret?.data ?? {}), ...(secret?.stringData ?? {}) });
const deployments = ofKind('Deployment');

function workerMode(deployment: Json): string | undefined {
  const container = deployment.spec.template.spec.containers[0];
  const fromEnv = (container.env ?? []).find((e: Json) => e.name === 'WORKER_MODE');
  return fromEnv !== undefined ? String(fromEnv.value) : configMap?.data?.WORKER_MODE;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('deploy/k8s manifests', () => {
  it('parse, every document with an apiVersion, kind and name', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const { file, doc } of docs) {
      expect({ file, apiVersion: typeof doc.apiVersion, kind: typeof doc.kind, name: typeof doc.metadata?.name }).toEqual({
        file,
        apiVersion: 'string',
        kind: 'string',
        name: 'string',
      });
      expect(doc.metadata.namespace).toBeUndefined();
    }
  });

  it('have exactly one Deployment per role', () => {
    expect(deployments.map(workerMode).sort()).toEqual(ROLES);
  });

  it('give every container the same ConfigMap and Secret, which exist', () => {
    expect(configMap).toBeDefined();
    expect(secret).toBeDefined();
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const envFrom: Json[] = container.envFrom ?? [];
        expect(envFrom.filter((e) => e.configMapRef).map((e) => e.configMapRef.name)).toEqual([CONFIG_MAP]);
        expect(envFrom.filter((e) => e.secretRef).map((e) => e.secretRef.name)).toEqual([SECRET]);
      }
    }
  });

  it('probe readiness on /readyz and liveness on /healthz at port 13001, with resource requests', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        expect({ where, ...container.readinessProbe?.httpGet }).toEqual({ where, path: '/readyz', port: 13001 });
        expect({ where, ...container.livenessProbe?.httpGet }).toEqual({ where, path: '/healthz', port: 13001 });
        expect(container.resources?.requests?.cpu).toBeDefined();
        expect(container.resources?.requests?.memory).toBeDefined();
        expect(container.resources?.limits?.memory).toBeDefined();
      }
    }
  });

  it('give pods longer to stop than SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT', () => {
    const delay = Number(configMap.data.SHUTDOWN_DELAY ?? variables.SHUTDOWN_DELAY.default);
    const timeout = Number(configMap.data.SHUTDOWN_TIMEOUT ?? variables.SHUTDOWN_TIMEOUT.default);
    for (const deployment of deployments) {
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(delay + timeout);
    }
  });

  it('mount the ReadWriteMany storage claim at STORAGE_PATH on every Deployment', () => {
    const claim = ofKind('PersistentVolumeClaim').find((c) => c.metadata.name === 'clusterbase-storage');
    expect(claim?.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(configMap.data.STORAGE_PATH).toBe('/app/storage');
    for (const deployment of deployments) {
      const volume = deployment.spec.template.spec.volumes.find((v: Json) => v.persistentVolumeClaim?.claimName === 'clusterbase-storage');
      expect(volume).toBeDefined();
      for (const container of deployment.spec.template.spec.containers) {
        expect(container.volumeMounts).toContainEqual({ name: volume.name, mountPath: '/app/storage' });
      }
    }
  });

  it('keep the keys in the Secret and out of the ConfigMap', () => {
    expect(secretKeys()).toEqual(expect.arrayContaining(['APP_KEY', 'APP_AES_SECRET_KEY']));
    for (const name of Object.keys(configMap.data)) expect({ name, secret: secretNames.has(name) }).toEqual({ name, secret: false });
  });

  it('use only documented variables in the ConfigMap, the Secret and container env', () => {
    const names = [...Object.keys(configMap.data), ...secretKeys()];
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) names.push(...(container.env ?? []).map((e: Json) => e.name));
    }
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });

  it('use cluster adapters, never in-process ones', () => {
    for (const name of ['CACHE_DEFAULT_STORE', 'PUBSUB_ADAPTER', 'QUEUE_ADAPTER', 'LOCK_ADAPTER_DEFAULT', 'WORKER_ID_ADAPTER']) {
      expect({ name, value: configMap.data[name] }).toEqual({ name, value: 'redis' });
    }
    expect(configMap.data.TRANSPORTER).toMatch(/^nats:\/\//);
  });

  it('have a PodDisruptionBudget selecting the pods of each Deployment', () => {
    const pdbs = ofKind('PodDisruptionBudget');
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      const own = pdbs.filter((p) => matches(p.spec.selector.matchLabels, labels));
      expect({ deployment: deployment.metadata.name, count: own.length }).toEqual({ deployment: deployment.metadata.name, count: 1 });
      expect(own[0].spec.minAvailable).toBe(1);
    }
  });

  it('expose the request nodes through a Service (80 -> 13000) and an Ingress', () => {
    const requests = deployments.find((d) => workerMode(d) === '!');
    const service = ofKind('Service').find((s) => matches(s.spec.selector, requests.spec.template.metadata.labels));
    expect(service?.spec.ports).toContainEqual(expect.objectContaining({ port: 80, targetPort: 13000 }));
    const backends = ofKind('Ingress').flatMap((i) => i.spec.rules.flatMap((r: Json) => r.http.paths.map((p: Json) => p.backend.service)));
    expect(backends).toContainEqual({ name: service.metadata.name, port: { number: 80 } });
  });

  it('autoscale request nodes on CPU and processors on the queue-depth metric', () => {
    const requests = deployments.find((d) => workerMode(d) === '!');
    const hpa = ofKind('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === requests.metadata.name);
    expect(hpa?.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }));
    const scaled = ofKind('ScaledObject');
    for (const deployment of deployments.filter((d) => workerMode(d) !== '!')) {
      const object = scaled.find((s) => s.spec.scaleTargetRef.name === deployment.metadata.name);
      expect(object?.apiVersion).toBe('keda.sh/v1alpha1');
      const trigger = object.spec.triggers.find((t: Json) => t.type === 'prometheus');
      expect(trigger.metadata.query).toContain('cb_queue_waiting');
      expect(trigger.metadata.serverAddress).toMatch(/^https?:\/\//);
    }
  });
});

describe('deploy/compose.yml and cluster.env', () => {
  const compose = parse(readFileSync(join(DEPLOY, 'compose.yml'), 'utf8'), { merge: true });
  const env = parseEnvFile(readFileSync(join(DEPLOY, 'cluster.env'), 'utf8'));
  const nodes = Object.entries(compose.services as Record<string, Json>).filter(([, s]) => s.environment?.WORKER_MODE !== undefined);

  it('runs two request nodes, one workflow node and one async-task node', () => {
    expect(nodes.map(([, s]) => String(s.environment.WORKER_MODE)).sort()).toEqual(['!', ...ROLES]);
  });

  it('gives every node the one shared env file, the storage volume and a /readyz healthcheck', () => {
    for (const [name, service] of nodes) {
      expect({ name, env_file: service.env_file }).toEqual({ name, env_file: 'cluster.env' });
      expect(service.volumes).toContain('storage:/app/storage');
      expect(service.healthcheck.test.join(' ')).toContain('/readyz');
    }
    expect(Object.keys(compose.volumes)).toContain('storage');
  });

  it('runs the middleware and nginx in front', () => {
    const images = Object.values(compose.services as Record<string, Json>).map((s) => s.image);
    expect(images).toEqual(expect.arrayContaining(['postgres:15', 'redis:7', 'nats:2.9']));
    expect(images.some((i) => /^rabbitmq:3\.10/.test(i))).toBe(true);
    expect(images.some((i) => /^nginx/.test(i))).toBe(true);
    expect(compose.services.nats.command).toContain('-js');
  });

  it('uses only documented variables, cluster adapters and a NATS transporter', () => {
    const names = [...env.keys(), ...nodes.flatMap(([, s]) => Object.keys(s.environment))];
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
    for (const name of ['CACHE_DEFAULT_STORE', 'PUBSUB_ADAPTER', 'QUEUE_ADAPTER', 'LOCK_ADAPTER_DEFAULT', 'WORKER_ID_ADAPTER']) {
      expect({ name, value: env.get(name) }).toEqual({ name, value: 'redis' });
    }
    expect(env.get('TRANSPORTER')).toBe('nats://nats:4222');
    expect(env.get('REDIS_URL')).toMatch(/^redis:\/\//);
    expect(env.get('APP_KEY')).toBeDefined();
    expect(env.get('APP_AES_SECRET_KEY')).toBeDefined();
    expect(env.get('SHUTDOWN_DELAY')).toBe('5');
  });

  it('holds values the config parsers accept', () => {
    for (const [name, value] of env) {
      const spec = (variables as Record<string, { parse: (raw: string) => unknown }>)[name];
      if (spec === undefined) continue;
      expect(() => spec.parse(value)).not.toThrow();
    }
  });
});

describe('deploy/compose.supervisor.yml and supervisor.env', () => {
  const compose = parse(readFileSync(join(DEPLOY, 'compose.supervisor.yml'), 'utf8'), { merge: true });
  const env = parseEnvFile(readFileSync(join(DEPLOY, 'supervisor.env'), 'utf8'));
  const nodes = Object.entries(compose.services as Record<string, Json>).filter(([, s]) => s.environment?.APP_MODE !== undefined);
  const workers = nodes.filter(([, s]) => s.environment.APP_MODE === 'worker');

  it('runs one supervisor and two worker environments with their own names and databases', () => {
    expect(nodes.map(([, s]) => String(s.environment.APP_MODE)).sort()).toEqual(['supervisor', 'worker', 'worker']);
    expect(workers.map(([, s]) => s.environment.ENVIRONMENT_NAME).sort()).toEqual(['env_a', 'env_b']);
    const databases = nodes.map(([, s]) => s.environment.DB_DATABASE);
    expect(new Set(databases).size).toBe(3);
  });

  it('sets the reference adapters: remote discovery, remote processes on the supervisor, local on workers, Redis commands', () => {
    const supervisor = nodes.find(([, s]) => s.environment.APP_MODE === 'supervisor')![1].environment;
    expect(supervisor).toMatchObject({ APP_DISCOVERY_ADAPTER: 'remote', APP_PROCESS_ADAPTER: 'remote' });
    for (const [, worker] of workers) {
      expect(worker.environment).toMatchObject({ APP_DISCOVERY_ADAPTER: 'remote', APP_PROCESS_ADAPTER: 'local' });
      expect(worker.environment.ENVIRONMENT_URL).toMatch(/^http:\/\//);
      expect(worker.environment.ENVIRONMENT_PROXY_URL).toMatch(/^http:\/\//);
    }
    expect(env.get('APP_COMMAND_ADAPTER')).toBe('redis');
    expect(env.get('APP_SUPERVISOR_REDIS_URL')).toMatch(/^redis:\/\//);
    expect(env.get('APP_COMMAND_REDIS_URL')).toMatch(/^redis:\/\//);
  });

  it('gives every node the shared env file and a /readyz healthcheck, with only documented variables the parsers accept', () => {
    for (const [name, service] of nodes) {
      expect({ name, env_file: service.env_file }).toEqual({ name, env_file: 'supervisor.env' });
      expect(service.healthcheck.test.join(' ')).toContain('/readyz');
    }
    const values = new Map([...env, ...nodes.flatMap(([, s]) => Object.entries(s.environment as Record<string, string>))]);
    expect([...values.keys()].filter((n) => !documented.has(n))).toEqual([]);
    for (const [name, value] of values) {
      const spec = (variables as Record<string, { parse: (raw: string) => unknown }>)[name];
      if (spec !== undefined) expect(() => spec.parse(String(value))).not.toThrow();
    }
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const of = (word: string): string[] => instructions.filter((l) => l.toUpperCase().startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim());

  it('builds every stage on node:24-slim', () => {
    const froms = of('FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^node:24-slim(\s|$)/);
  });

  it('runs the CI build steps and a production-only install', () => {
    const runs = of('RUN').join('\n');
    expect(runs).toMatch(/npm ci(\s|$)/);
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm ci --omit=dev');
  });

  it('runs as a non-root user with storage as a volume and both ports exposed', () => {
    const users = of('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    expect(of('VOLUME')).toContain('/app/storage');
    expect(of('ENV').join(' ')).toContain('STORAGE_PATH=/app/storage');
    expect(of('EXPOSE').join(' ').split(/\s+/)).toEqual(expect.arrayContaining(['13000', '13001']));
  });

  it('checks /healthz and starts compiled JavaScript without tsx', () => {
    expect(of('HEALTHCHECK').join(' ')).toContain('http://127.0.0.1:13001/healthz');
    const cmd = of('CMD');
    expect(JSON.parse(cmd[cmd.length - 1])).toEqual(['node', 'dist/scripts/start.js']);
    expect(instructions.join('\n')).not.toMatch(/\btsx\b/);
  });
});

describe('deploy/nginx.conf', () => {
  const conf = readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8');
  const code = conf.replace(/#.*$/gm, '');

  it('has balanced braces and directives ended by semicolons', () => {
    let depth = 0;
    for (const ch of code) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    for (const line of code.split('\n').map((l) => l.trim())) {
      if (line === '' || line.endsWith('{') || line === '}') continue;
      expect({ line, ended: line.endsWith(';') }).toEqual({ line, ended: true });
    }
  });

  it('fails over idempotent requests only, with passive health checks and keepalive', () => {
    const upstreams = code.match(/upstream\s+\S+\s*\{[^}]*\}/g) ?? [];
    expect(upstreams.length).toBe(1);
    const upstream = upstreams[0] ?? '';
    const servers = upstream.match(/^\s*server\s.*$/gm) ?? [];
    expect(servers.length).toBe(2);
    for (const server of servers) expect(server).toMatch(/max_fails=\d+.*fail_timeout=\d+/);
    expect(upstream).toMatch(/keepalive\s+\d+;/);
    expect(code).toMatch(/proxy_next_upstream\s+error timeout http_502 http_503 http_504;/);
    expect(code).not.toContain('non_idempotent');
  });

  it('forwards websocket upgrades and client addresses, with the app body limit', () => {
    expect(code).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    expect(code).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
    expect(code).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
    expect(code).toMatch(/proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;/);
    const limit = /client_max_body_size\s+(\d+)m;/.exec(code);
    expect(Number(limit?.[1]) * 1024 * 1024).toBe(variables.HTTP_BODY_LIMIT.parse(variables.HTTP_BODY_LIMIT.default));
  });
});

describe('deploy/k8s/ha: Redis Sentinel and a NATS cluster', () => {
  const HA = join(K8S, 'ha');
  const haDocs: Json[] = readdirSync(HA)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(HA, file), 'utf8')).map((document) => {
        if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
        return document.toJS();
      }),
    );
  const named = (kind: string, name: string): Json => haDocs.find((d) => d.kind === kind && d.metadata?.name === name);
  const scripts = named('ConfigMap', 'redis-ha-scripts');
  const natsConf: string = named('ConfigMap', 'nats-cluster-config').data['nats.conf'];
  const patch = { ...named('ConfigMap', CONFIG_MAP).data, ...named('Secret', SECRET).stringData };

  it('run three Redis pods and three Sentinels with a quorum of two, each with probes, resources and a disruption budget', () => {
    for (const name of ['redis', 'redis-sentinel']) {
      const set = named('StatefulSet', name);
      expect(set.spec.replicas).toBe(3);
      const container = set.spec.template.spec.containers[0];
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
      expect(container.resources?.requests?.memory).toBeDefined();
      const pdb = haDocs.find((d) => d.kind === 'PodDisruptionBudget' && matches(d.spec.selector.matchLabels, set.spec.template.metadata.labels));
      expect(pdb?.spec.maxUnavailable).toBe(1);
    }
    expect(scripts.data['sentinel.sh']).toMatch(/sentinel monitor cb \$MASTER 6379 2/);
    expect(scripts.data['sentinel.sh']).toMatch(/resolve-hostnames yes/);
    expect(scripts.data['redis.sh']).toMatch(/--replicaof "\$MASTER" 6379/);
  });

  it('route each of the three NATS servers to all three', () => {
    const set = named('StatefulSet', 'nats');
    expect(set.spec.replicas).toBe(3);
    for (const i of [0, 1, 2]) expect(natsConf).toContain(`nats://nats-${i}.nats-headless:6222`);
    expect(set.spec.template.spec.containers[0].readinessProbe.httpGet).toEqual({ path: '/healthz', port: 8222 });
  });

  it('point clusterbase at every Sentinel and every NATS server with values the config accepts', () => {
    // INIT_ROOT_PASSWORD comes from the base secret (deploy/k8s/secret.yaml), not from the HA patch.
    const config = loadConfig({ ...patch, INIT_ROOT_PASSWORD: 'a-long-root-password-from-the-secret', CACHE_DEFAULT_STORE: 'redis', QUEUE_ADAPTER: 'redis', LOCK_ADAPTER_DEFAULT: 'redis' });
    expect(config.transporter!.split(',')).toHaveLength(3);
    expect(config.adapters.lock.url).toMatch(/^redis-sentinel:\/\//);
    const sentinels = String(patch.REDIS_URL).replace(/^redis-sentinel:\/\//, '').split('/')[0]!.split(',');
    expect(sentinels).toEqual([0, 1, 2].map((i) => `redis-sentinel-${i}.redis-sentinel-headless:26379`));
    expect(String(patch.REDIS_URL)).toMatch(/#cb$/);
  });
});
