import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Static checks of docker-compose.yml and the configs it mounts: no Docker engine is needed.

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COLLECTOR_CONFIG = join(REPO_ROOT, 'collector/otelcol.yaml');
const JAEGER_CONFIG = join(REPO_ROOT, 'collector/jaeger.yaml');
const PROMETHEUS_CONFIG = join(REPO_ROOT, 'collector/prometheus/prometheus.yml');
const LOOPBACK = '127.0.0.1';

interface LongPort {
  host_ip?: string;
  published?: string | number;
  target: number;
}
interface LongVolume {
  type: string;
  source: string;
  target: string;
}
interface ComposeService {
  image?: string;
  command?: string | string[];
  volumes?: (string | LongVolume)[];
  ports?: (string | LongPort)[];
  depends_on?: string[] | Record<string, unknown>;
  environment?: Record<string, string> | string[];
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
interface PrometheusConfig {
  rule_files?: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}
interface Mount {
  source: string;
  target: string;
  bind: boolean;
}
interface PublishedPort {
  hostIp: string | undefined;
  target: number;
}

function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8')) as T;
}

const compose = readYaml<ComposeFile>(join(REPO_ROOT, 'docker-compose.yml'));
const services = Object.entries(compose.services);
const serviceNames = new Set(Object.keys(compose.services));
const prometheusConfig = readYaml<PrometheusConfig>(PROMETHEUS_CONFIG);

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function mountsOf(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      return { source: volume.source, target: volume.target, bind: volume.type === 'bind' };
    }
    const [source = '', target = ''] = volume.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

function portsOf(svc: ComposeService): PublishedPort[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port !== 'string') return { hostIp: port.host_ip, target: port.target };
    const parts = port.split(':');
    return { hostIp: parts.length === 3 ? parts[0] : undefined, target: Number(parts.at(-1)) };
  });
}

function environmentOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

function commandOf(svc: ComposeService): string[] {
  if (svc.command === undefined) return [];
  return typeof svc.command === 'string' ? svc.command.split(/\s+/) : svc.command;
}

/** Container paths of the config files a command line names (`--config=P`, `--config.file=P`, `--config P`). */
function configPathsOf(svc: ComposeService): string[] {
  const args = commandOf(svc);
  return args.flatMap((arg, i) => {
    const inline = /^--config(?:\.file)?=(\/.+)$/.exec(arg);
    if (inline?.[1] !== undefined) return [inline[1]];
    const next = args[i + 1];
    return arg === '--config' && next !== undefined ? [next] : [];
  });
}

/** The repository path a container path comes from, through the service's bind mounts. */
function hostPathOf(svc: ComposeService, containerPath: string): string | undefined {
  for (const mount of mountsOf(svc)) {
    if (!mount.bind) continue;
    if (containerPath === mount.target) return join(REPO_ROOT, mount.source);
    if (containerPath.startsWith(`${mount.target}/`)) {
      return join(REPO_ROOT, mount.source, posix.relative(mount.target, containerPath));
    }
  }
  return undefined;
}

/** Resolves the collector's `${env:NAME:-default}` references: `env` first, else the default. */
function resolveEnv(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{env:([A-Za-z0-9_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    return env[name] ?? fallback ?? '';
  });
}

function hostAndPort(address: string): { host: string; port: number } {
  const match = /^(?:[a-z]+:\/\/)?([^:/]+):(\d+)\/?$/.exec(address);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`not host:port: "${address}"`);
  return { host: match[1], port: Number(match[2]) };
}

function targetsOf(configs: { static_configs: { targets: string[] }[] }[]): string[] {
  return configs.flatMap((config) => config.static_configs.flatMap((sc) => sc.targets));
}

describe('docker-compose.yml', () => {
  it('pins every image to an exact version', () => {
    const images = services.map(([name, svc]) => ({ name, image: svc.image ?? '' }));
    expect(images.length).toBeGreaterThanOrEqual(6);
    for (const { name, image } of images) {
      const tag = /^[a-z0-9./_-]+:([\w.-]+)$/.exec(image)?.[1];
      expect(tag, `${name}: "${image}" has no tag`).toBeDefined();
      expect(tag, `${name}: "${image}"`).not.toBe('latest');
      expect(tag, `${name}: "${image}" is not an exact x.y.z version`).toMatch(
        /^v?\d+\.\d+\.\d+(?:-[\w.]+)?$/,
      );
    }
  });

  it('binds every published port to 127.0.0.1', () => {
    const published = services.flatMap(([name, svc]) => portsOf(svc).map((port) => ({ name, ...port })));
    expect(published.map(({ name, target }) => `${name}:${target}`).sort()).toEqual([
      'alertmanager:9093',
      'grafana:3000',
      'jaeger:16686',
      'otel-collector:4317',
      'otel-collector:4318',
      'prometheus:9090',
    ]);
    for (const port of published) expect(port.hostIp, `${port.name}:${port.target}`).toBe(LOOPBACK);
  });

  it('bind-mounts only files and folders that exist in the repository', () => {
    const binds = services.flatMap(([, svc]) => mountsOf(svc).filter((mount) => mount.bind));
    expect(binds.length).toBeGreaterThanOrEqual(5);
    const missing = binds
      .map((mount) => mount.source)
      .filter((source) => !existsSync(join(REPO_ROOT, source)));
    expect(missing).toEqual([]);
  });

  it('declares every named volume', () => {
    const named = services.flatMap(([, svc]) => mountsOf(svc).filter((mount) => !mount.bind));
    expect(named.map((mount) => mount.source).sort()).toEqual(['alertmanager-data', 'prometheus-data']);
    for (const mount of named) expect(Object.keys(compose.volumes ?? {})).toContain(mount.source);
  });

  it('depends only on services it defines', () => {
    for (const [name, svc] of services) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const dep of deps) expect(serviceNames, `${name} depends on "${dep}"`).toContain(dep);
    }
  });

  it('mounts every config file a command line names from the repository', () => {
    const configs = services.flatMap(([name, svc]) =>
      configPathsOf(svc).map((path) => ({ name, path, host: hostPathOf(svc, path) })),
    );
    expect(configs.map(({ name, path }) => `${name} ${path}`)).toEqual([
      'otel-collector /etc/otelcol-contrib/config.yaml',
      'jaeger /etc/jaeger/config.yaml',
      'prometheus /etc/prometheus/prometheus.yml',
      'alertmanager /etc/alertmanager/alertmanager.yml',
    ]);
    for (const { name, path, host } of configs) {
      expect(host, `${name}: ${path} is not mounted`).toBeDefined();
      expect(existsSync(host ?? ''), `${name}: ${host} does not exist`).toBe(true);
    }
  });

  it('puts grafana and demo behind their profiles and starts the rest by default', () => {
    const profiles = Object.fromEntries(services.map(([name, svc]) => [name, svc.profiles ?? []]));
    expect(profiles).toEqual({
      'otel-collector': [],
      jaeger: [],
      prometheus: [],
      alertmanager: [],
      grafana: ['grafana'],
      demo: ['demo'],
    });
  });

  it('runs the demo against the collector with its own service name', () => {
    const env = environmentOf(service('demo'));
    const { host } = hostAndPort(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
    expect(host).toBe('otel-collector');
    expect(env.OTEL_SERVICE_NAME).toBe('llm-otel-demo');
  });
});

describe('collector/grafana against docker-compose.yml', () => {
  it('reads the prometheus service and loads the dashboards folder it mounts', () => {
    const datasources = readYaml<{ datasources: { url: string }[] }>(
      join(REPO_ROOT, 'collector/grafana/provisioning/datasources/prometheus.yml'),
    ).datasources;
    expect(datasources.map((ds) => hostAndPort(ds.url))).toEqual([
      { host: 'prometheus', port: portsOf(service('prometheus'))[0]?.target },
    ]);
    const providers = readYaml<{ providers: { options: { path: string } }[] }>(
      join(REPO_ROOT, 'collector/grafana/provisioning/dashboards/llm-otel-dispatcher.yml'),
    ).providers;
    for (const provider of providers) {
      const host = hostPathOf(service('grafana'), provider.options.path);
      expect(host).toBe(join(REPO_ROOT, 'collector/grafana/dashboards'));
    }
  });
});

describe('prometheus.yml against docker-compose.yml', () => {
  it('loads rule files that exist next to it (the folder is mounted whole)', () => {
    expect(prometheusConfig.rule_files).toEqual(['alerts.yml']);
    for (const file of prometheusConfig.rule_files ?? []) {
      expect(existsSync(join(REPO_ROOT, 'collector/prometheus', file))).toBe(true);
    }
    expect(hostPathOf(service('prometheus'), '/etc/prometheus/alerts.yml')).toBe(
      join(REPO_ROOT, 'collector/prometheus/alerts.yml'),
    );
  });

  it('sends alerts to the alertmanager service on the port it listens on', () => {
    const targets = targetsOf(prometheusConfig.alerting.alertmanagers).map(hostAndPort);
    const listen = portsOf(service('alertmanager')).map((port) => port.target);
    expect(targets).toEqual([{ host: 'alertmanager', port: 9093 }]);
    expect(listen).toEqual([9093]);
    expect(commandOf(service('alertmanager')).some((arg) => arg.startsWith('--web.listen-address'))).toBe(
      false,
    );
  });

  it('scrapes only compose services', () => {
    const targets = targetsOf(prometheusConfig.scrape_configs).map(hostAndPort);
    expect(targets.length).toBeGreaterThan(0);
    for (const { host } of targets) expect(serviceNames).toContain(host);
  });
});

interface OtlpReceiverConfig {
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
}
interface CollectorConfig extends OtlpReceiverConfig {
  exporters: Record<string, { endpoint?: string }>;
}
interface JaegerConfig extends OtlpReceiverConfig {
  extensions: { jaeger_query: { http: { endpoint: string } } };
}

describe.skipIf(!existsSync(COLLECTOR_CONFIG) || !existsSync(JAEGER_CONFIG))(
  'collector/otelcol.yaml and collector/jaeger.yaml against docker-compose.yml',
  () => {
    const collectorEnv = environmentOf(service('otel-collector'));
    const portOf = (endpoint: string, env: Record<string, string>) =>
      hostAndPort(resolveEnv(endpoint, env)).port;

    it("scrapes the collector's prometheus exporter on the port it listens on", () => {
      const collector = readYaml<CollectorConfig>(COLLECTOR_CONFIG);
      const exporter = collector.exporters.prometheus?.endpoint;
      expect(exporter).toBeDefined();
      const job = prometheusConfig.scrape_configs.find((config) => config.job_name === 'otel-collector');
      expect(targetsOf(job === undefined ? [] : [job]).map(hostAndPort)).toEqual([
        { host: 'otel-collector', port: portOf(exporter ?? '', collectorEnv) },
      ]);
    });

    it('publishes the ports the collector receives OTLP on, and the demo uses its OTLP/HTTP port', () => {
      const { grpc, http } = readYaml<CollectorConfig>(COLLECTOR_CONFIG).receivers.otlp.protocols;
      const published = portsOf(service('otel-collector')).map((port) => port.target);
      expect(published).toEqual([portOf(grpc.endpoint, collectorEnv), portOf(http.endpoint, collectorEnv)]);
      const demoEndpoint = environmentOf(service('demo')).OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
      expect(hostAndPort(demoEndpoint).port).toBe(portOf(http.endpoint, collectorEnv));
    });

    it("exports traces to the jaeger service's OTLP/gRPC port and publishes Jaeger's UI port", () => {
      const collector = readYaml<CollectorConfig>(COLLECTOR_CONFIG);
      const jaeger = readYaml<JaegerConfig>(JAEGER_CONFIG);
      const jaegerEnv = environmentOf(service('jaeger'));
      const exportTo = hostAndPort(
        resolveEnv(collector.exporters['otlp/jaeger']?.endpoint ?? '', collectorEnv),
      );
      expect(exportTo).toEqual({
        host: 'jaeger',
        port: portOf(jaeger.receivers.otlp.protocols.grpc.endpoint, jaegerEnv),
      });
      expect(portsOf(service('jaeger')).map((port) => port.target)).toEqual([
        portOf(jaeger.extensions.jaeger_query.http.endpoint, jaegerEnv),
      ]);
    });
  },
);
