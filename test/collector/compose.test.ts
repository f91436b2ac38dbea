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
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string> | string[];
  profiles?: string[];
  healthcheck?: { test: string | string[] };
  mem_limit?: string;
}
interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
interface ScrapeConfig {
  job_name: string;
  honor_labels?: boolean;
  static_configs: { targets: string[] }[];
  relabel_configs?: { source_labels?: string[]; regex?: string; target_label?: string }[];
}
interface PrometheusConfig {
  rule_files?: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  remote_write?: { url: string; queue_config?: Record<string, unknown> }[];
  scrape_configs: ScrapeConfig[];
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

interface LoadedCompose {
  compose: ComposeFile;
  services: [string, ComposeService][];
  serviceNames: Set<string>;
  service(name: string): ComposeService;
}

function loadCompose(file: string): LoadedCompose {
  const compose = readYaml<ComposeFile>(join(REPO_ROOT, file));
  return {
    compose,
    services: Object.entries(compose.services),
    serviceNames: new Set(Object.keys(compose.services)),
    service: (name) => {
      const found = compose.services[name];
      if (found === undefined) throw new Error(`${file} has no service "${name}"`);
      return found;
    },
  };
}

const { compose, services, serviceNames, service } = loadCompose('docker-compose.yml');
const prometheusConfig = readYaml<PrometheusConfig>(PROMETHEUS_CONFIG);

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

function dependenciesOf(svc: ComposeService): string[] {
  return Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
}

function expectPinnedImages(list: [string, ComposeService][]): void {
  for (const [name, svc] of list) {
    const image = svc.image ?? '';
    const tag = /^[a-z0-9./_-]+:([\w.-]+)$/.exec(image)?.[1];
    expect(tag, `${name}: "${image}" has no tag`).toBeDefined();
    expect(tag, `${name}: "${image}"`).not.toBe('latest');
    expect(tag, `${name}: "${image}" is not an exact x.y.z version`).toMatch(/^v?\d+\.\d+\.\d+(?:-[\w.]+)?$/);
  }
}

describe('docker-compose.yml', () => {
  it('pins every image to an exact version', () => {
    expect(services.length).toBeGreaterThanOrEqual(6);
    expectPinnedImages(services);
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
      for (const dep of dependenciesOf(svc))
        expect(serviceNames, `${name} depends on "${dep}"`).toContain(dep);
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

// --- docker-compose.scale.yml: the gateway-tier example (collector/scale/) ----------------------

const SCALE_COMPOSE = 'docker-compose.scale.yml';
const AGENT_CONFIG = join(REPO_ROOT, 'collector/scale/agent.yaml');
const SCALE_JAEGER_CONFIG = join(REPO_ROOT, 'collector/scale/jaeger.yaml');
const SCALE_PROMETHEUS_CONFIG = join(REPO_ROOT, 'collector/scale/prometheus.yml');
const ALERT_RULES = join(REPO_ROOT, 'collector/prometheus/alerts.yml');
/** The services that run collector/otelcol.yaml as the sampling tier. */
const SAMPLERS = ['otel-sampler-1', 'otel-sampler-2'];
/** Services without a healthcheck: the collector image has no shell; the rest are one-shot. */
const WITHOUT_HEALTHCHECK = ['otel-agent', ...SAMPLERS, 'opensearch-index-cleaner', 'demo'];

interface PipelineConfig {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}
interface FullCollectorConfig {
  receivers: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, PipelineConfig>;
    telemetry?: { metrics?: unknown };
  };
}
interface LoadbalancingConfig {
  routing_key: string;
  protocol: {
    otlp: {
      endpoint?: string;
      tls?: { insecure?: boolean };
      sending_queue?: { enabled?: boolean };
      retry_on_failure?: { enabled?: boolean };
    };
  };
  resolver: Record<string, { hostnames?: string }>;
}
interface OpenSearchBackend {
  server_urls: string[];
  max_span_age: string;
  use_aliases?: boolean;
  indices: {
    index_prefix: string;
    spans: { shards: number; replicas: number | string; rollover_frequency: string };
  } & Record<string, { replicas?: number | string }>;
}
/** A collector config whose `otlp` receiver is typed, for its listen addresses. */
type OtlpCollectorConfig = FullCollectorConfig & OtlpReceiverConfig;
interface ScaleJaegerConfig extends FullCollectorConfig {
  receivers: OtlpReceiverConfig['receivers'];
  exporters: { jaeger_storage_exporter: { trace_storage: string } };
  extensions: {
    jaeger_storage: { backends: Record<string, { opensearch?: OpenSearchBackend }> };
    jaeger_query: { storage: { traces: string }; enable_tracing?: boolean; http: { endpoint: string } };
  };
}

/** A Go duration of hours/minutes/seconds (`168h`, `1h30m`) in seconds. */
function goDurationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const [, value = '0', unit = 's'] of text.matchAll(/(\d+)([hms])/g))
    total += Number(value) * units[unit]!;
  return total;
}

/** A Prometheus duration (`5m`, `3d`, `4d`) in seconds. */
function promDurationSeconds(text: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
  const match = /^(\d+)([smhdwy])$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`not a duration: "${text}"`);
  return Number(match[1]) * units[match[2]]!;
}

/** A Compose memory size (`512m`, `1g`) or a JVM one (`-Xmx512m`) in bytes. */
function memoryBytes(text: string): number {
  const match = /(\d+)([kmg])?b?$/i.exec(text);
  if (match?.[1] === undefined) throw new Error(`not a memory size: "${text}"`);
  const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}

/** A collector list value after env resolution: a YAML flow list, or `a,b` (the collector splits it). */
function resolvedList(value: string, env: Record<string, string>): string[] {
  const parsed: unknown = parse(resolveEnv(value, env));
  if (Array.isArray(parsed)) return parsed.map(String);
  return String(parsed)
    .split(',')
    .map((item) => item.trim());
}

/**
 * Pipelines name only components the config defines; with `allUsed`, every defined component is
 * also used (otelcol.yaml keeps an unused `debug` exporter at hand on purpose).
 */
function expectConsistentPipelines(config: FullCollectorConfig, { allUsed }: { allUsed: boolean }): void {
  const defined = {
    receivers: new Set(Object.keys(config.receivers)),
    processors: new Set(Object.keys(config.processors ?? {})),
    exporters: new Set(Object.keys(config.exporters)),
    connectors: new Set(Object.keys(config.connectors ?? {})),
  };
  const used = new Set<string>();
  for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
    expect(name, 'pipeline type').toMatch(/^(traces|metrics|logs)(\/.+)?$/);
    for (const id of pipeline.receivers) {
      expect(defined.receivers.has(id) || defined.connectors.has(id), `${name}: receiver ${id}`).toBe(true);
      used.add(id);
    }
    for (const id of pipeline.processors ?? []) {
      expect(defined.processors.has(id), `${name}: processor ${id}`).toBe(true);
      used.add(id);
    }
    for (const id of pipeline.exporters) {
      expect(defined.exporters.has(id) || defined.connectors.has(id), `${name}: exporter ${id}`).toBe(true);
      used.add(id);
    }
  }
  for (const id of config.service.extensions ?? [])
    expect(Object.keys(config.extensions ?? {})).toContain(id);
  if (!allUsed) return;
  const all = [...defined.receivers, ...defined.processors, ...defined.exporters, ...defined.connectors];
  expect(all.filter((id) => !used.has(id))).toEqual([]);
  expect([...(config.service.extensions ?? [])].sort()).toEqual(Object.keys(config.extensions ?? {}).sort());
}

describe('collector/scale/agent.yaml', () => {
  const agent = readYaml<FullCollectorConfig>(AGENT_CONFIG);
  const collector = readYaml<FullCollectorConfig>(COLLECTOR_CONFIG);
  const loadbalancing = agent.exporters.loadbalancing as LoadbalancingConfig;

  it('has pipelines that name only defined components, and uses every component', () => {
    expectConsistentPipelines(agent, { allUsed: true });
    expect(agent.service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['loadbalancing'] },
      metrics: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['prometheus'] },
    });
  });

  it('routes traces by trace ID over OTLP/gRPC, with queues and retries, to a static list from SAMPLER_ENDPOINTS', () => {
    expect(loadbalancing.routing_key).toBe('traceID');
    expect(loadbalancing.protocol.otlp.endpoint).toBeUndefined();
    expect(loadbalancing.protocol.otlp.tls?.insecure).toBe(true);
    expect(loadbalancing.protocol.otlp.sending_queue?.enabled).toBe(true);
    expect(loadbalancing.protocol.otlp.retry_on_failure?.enabled).toBe(true);
    expect(Object.keys(loadbalancing.resolver)).toEqual(['static']);
    expect(loadbalancing.resolver.static?.hostnames).toMatch(/^\$\{env:SAMPLER_ENDPOINTS:-\[.+\]\}$/);
    const hostnames = loadbalancing.resolver.static?.hostnames ?? '';
    expect(resolvedList(hostnames, { SAMPLER_ENDPOINTS: '[a:1, b:2]' })).toEqual(['a:1', 'b:2']);
    expect(resolvedList(hostnames, { SAMPLER_ENDPOINTS: 'a:1,b:2' })).toEqual(['a:1', 'b:2']);
  });

  it("exposes app metrics with the same prometheus exporter settings as otelcol.yaml (alerts.yml's names)", () => {
    expect(agent.exporters.prometheus).toEqual(collector.exporters.prometheus);
  });

  it('listens where otelcol.yaml does, overridable with the same environment variables', () => {
    expect(agent.receivers.otlp).toEqual(collector.receivers.otlp);
    expect(agent.extensions?.healthcheckv2).toEqual(collector.extensions?.healthcheckv2);
    expect(agent.service.telemetry?.metrics).toEqual(collector.service.telemetry?.metrics);
    expect(agent.processors?.memory_limiter).toEqual(collector.processors?.memory_limiter);
  });
});

describe('collector/otelcol.yaml and collector/scale/jaeger.yaml', () => {
  it('have pipelines that name only defined components (and jaeger.yaml uses every one)', () => {
    expectConsistentPipelines(readYaml<FullCollectorConfig>(COLLECTOR_CONFIG), { allUsed: false });
    expectConsistentPipelines(readYaml<FullCollectorConfig>(SCALE_JAEGER_CONFIG), { allUsed: true });
  });

  it('jaeger.yaml stores and queries traces in one OpenSearch backend with daily indices, query self-tracing off', () => {
    const jaeger = readYaml<ScaleJaegerConfig>(SCALE_JAEGER_CONFIG);
    const backend = jaeger.exporters.jaeger_storage_exporter.trace_storage;
    expect(jaeger.extensions.jaeger_query.storage.traces).toBe(backend);
    expect(jaeger.extensions.jaeger_query.enable_tracing).toBe(false);
    expect(Object.keys(jaeger.extensions.jaeger_storage.backends)).toEqual([backend]);
    const opensearch = jaeger.extensions.jaeger_storage.backends[backend]?.opensearch;
    expect(opensearch).toBeDefined();
    expect(opensearch?.use_aliases).toBe(false);
    expect(opensearch?.indices.spans.rollover_frequency).toBe('day');
    expect(opensearch?.indices.index_prefix).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
  });
});

describe('docker-compose.scale.yml', () => {
  const scale = loadCompose(SCALE_COMPOSE);
  const agentService = scale.service('otel-agent');
  const agentEnv = environmentOf(agentService);
  const agent = readYaml<OtlpCollectorConfig>(AGENT_CONFIG);
  const collector = readYaml<CollectorConfig>(COLLECTOR_CONFIG);
  const jaeger = readYaml<ScaleJaegerConfig>(SCALE_JAEGER_CONFIG);
  const jaegerEnv = environmentOf(scale.service('jaeger'));
  const opensearchBackend = jaeger.extensions.jaeger_storage.backends.opensearch?.opensearch;
  const prometheus = readYaml<PrometheusConfig>(SCALE_PROMETHEUS_CONFIG);
  const portOf = (endpoint: string, env: Record<string, string>) =>
    hostAndPort(resolveEnv(endpoint, env)).port;
  const job = (name: string) => prometheus.scrape_configs.find((config) => config.job_name === name);

  it('is a standalone project with its own name', () => {
    expect(scale.compose.name).toBe('llm-otel-dispatcher-scale');
  });

  it('pins every image to an exact version', () => {
    expect(scale.services.length).toBeGreaterThanOrEqual(9);
    expectPinnedImages(scale.services);
  });

  it('binds every published port to 127.0.0.1', () => {
    const published = scale.services.flatMap(([name, svc]) =>
      portsOf(svc).map((port) => ({ name, ...port })),
    );
    expect(published.map(({ name, target }) => `${name}:${target}`).sort()).toEqual([
      'alertmanager:9093',
      'jaeger:16686',
      'opensearch:9200',
      'otel-agent:4317',
      'otel-agent:4318',
      'prometheus:9090',
      'victoriametrics:8428',
    ]);
    for (const port of published) expect(port.hostIp, `${port.name}:${port.target}`).toBe(LOOPBACK);
  });

  it('bind-mounts only files and folders that exist in the repository, and declares every named volume', () => {
    const mounts = scale.services.flatMap(([, svc]) => mountsOf(svc));
    const missing = mounts
      .filter((mount) => mount.bind)
      .map((mount) => mount.source)
      .filter((source) => !existsSync(join(REPO_ROOT, source)));
    expect(missing).toEqual([]);
    const named = [...new Set(mounts.filter((mount) => !mount.bind).map((mount) => mount.source))].sort();
    expect(named).toEqual(Object.keys(scale.compose.volumes ?? {}).sort());
  });

  it('depends only on services it defines', () => {
    for (const [name, svc] of scale.services) {
      for (const dep of dependenciesOf(svc))
        expect(scale.serviceNames, `${name} depends on "${dep}"`).toContain(dep);
    }
  });

  it('mounts every config file a command line names from the repository', () => {
    const configs = scale.services.flatMap(([name, svc]) =>
      configPathsOf(svc).map((path) => ({ name, host: hostPathOf(svc, path) })),
    );
    expect(configs).toEqual([
      { name: 'otel-agent', host: AGENT_CONFIG },
      { name: 'otel-sampler-1', host: COLLECTOR_CONFIG },
      { name: 'otel-sampler-2', host: COLLECTOR_CONFIG },
      { name: 'jaeger', host: SCALE_JAEGER_CONFIG },
      { name: 'prometheus', host: SCALE_PROMETHEUS_CONFIG },
      { name: 'alertmanager', host: join(REPO_ROOT, 'collector/alertmanager/alertmanager.yml') },
    ]);
  });

  it('has a healthcheck on every long-running service whose image has a shell', () => {
    const without = scale.services.filter(([, svc]) => svc.healthcheck === undefined).map(([name]) => name);
    expect(without.sort()).toEqual([...WITHOUT_HEALTHCHECK].sort());
  });

  it('runs the samplers from one definition, on collector/otelcol.yaml as it is, exporting to jaeger', () => {
    const samplers = scale.services.filter(([, svc]) =>
      configPathsOf(svc).some((path) => hostPathOf(svc, path) === COLLECTOR_CONFIG),
    );
    expect(samplers.map(([name]) => name)).toEqual(SAMPLERS);
    const [first, ...others] = samplers.map(([, svc]) => svc);
    for (const other of others) expect(other).toEqual(first);
    expect(first?.image).toBe(agentService.image);
    // Mounted read-only straight from the repository: the very file docker-compose.yml runs.
    expect(first?.volumes).toEqual(service('otel-collector').volumes);
    const exportTo = hostAndPort(
      resolveEnv(collector.exporters['otlp/jaeger']?.endpoint ?? '', environmentOf(first ?? {})),
    );
    expect(exportTo).toEqual({
      host: 'jaeger',
      port: portOf(jaeger.receivers.otlp.protocols.grpc.endpoint, jaegerEnv),
    });
  });

  it("routes the agent's traces to every sampler service on its OTLP/gRPC port", () => {
    const loadbalancing = agent.exporters.loadbalancing as LoadbalancingConfig;
    const hostnames = resolvedList(loadbalancing.resolver.static?.hostnames ?? '', agentEnv).map(hostAndPort);
    const grpc = collector.receivers.otlp.protocols.grpc.endpoint;
    expect(hostnames).toEqual(
      SAMPLERS.map((name) => ({ host: name, port: portOf(grpc, environmentOf(scale.service(name))) })),
    );
  });

  it('publishes the ports the agent receives OTLP on, and the demo sends to its OTLP/HTTP port', () => {
    const { grpc, http } = agent.receivers.otlp.protocols;
    expect(portsOf(agentService).map((port) => port.target)).toEqual([
      portOf(grpc.endpoint, agentEnv),
      portOf(http.endpoint, agentEnv),
    ]);
    const demoEndpoint = environmentOf(scale.service('demo')).OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
    expect(hostAndPort(demoEndpoint)).toEqual({ host: 'otel-agent', port: portOf(http.endpoint, agentEnv) });
  });

  it('points Jaeger at the opensearch service, single-node without replicas, and publishes its UI', () => {
    expect(opensearchBackend).toBeDefined();
    const urls = (opensearchBackend?.server_urls ?? []).map((url) => hostAndPort(resolveEnv(url, jaegerEnv)));
    const opensearch = scale.service('opensearch');
    expect(urls).toEqual([{ host: 'opensearch', port: portsOf(opensearch)[0]?.target }]);
    expect(urls[0]?.port).toBe(9200);
    expect(environmentOf(opensearch)['discovery.type']).toBe('single-node');
    for (const index of ['spans', 'services', 'dependencies', 'sampling']) {
      const replicas = String(opensearchBackend?.indices[index]?.replicas ?? '');
      expect(resolveEnv(replicas, jaegerEnv), `${index} replicas`).toBe('0');
    }
    expect(scale.service('jaeger').depends_on).toEqual({ opensearch: { condition: 'service_healthy' } });
    expect(portsOf(scale.service('jaeger')).map((port) => port.target)).toEqual([
      portOf(jaeger.extensions.jaeger_query.http.endpoint, jaegerEnv),
    ]);
  });

  it('limits OpenSearch memory with the heap at most half of it', () => {
    const opensearch = scale.service('opensearch');
    const limit = memoryBytes(opensearch.mem_limit ?? '');
    const heap = memoryBytes(/-Xmx\S+/.exec(environmentOf(opensearch).OPENSEARCH_JAVA_OPTS ?? '')?.[0] ?? '');
    expect(heap).toBeGreaterThan(0);
    expect(heap).toBeLessThanOrEqual(limit / 2);
  });

  it("cleans the trace indices Jaeger writes, after as many days as Jaeger's query looks back", () => {
    const args = commandOf(scale.service('opensearch-index-cleaner'));
    expect(args).toContain(`--index-prefix=${opensearchBackend?.indices.index_prefix}`);
    const [days, url] = args.filter((arg) => !arg.startsWith('--'));
    expect(Number(days) * 86_400).toBe(goDurationSeconds(opensearchBackend?.max_span_age ?? ''));
    expect(hostAndPort(url ?? '')).toEqual({ host: 'opensearch', port: 9200 });
  });

  describe('collector/scale/prometheus.yml', () => {
    const prometheusService = scale.service('prometheus');
    const configPath = configPathsOf(prometheusService)[0] ?? '';

    it('loads alerts.yml from the repository and, through the mounts, in the container', () => {
      expect(prometheus.rule_files).toEqual(['../prometheus/alerts.yml']);
      for (const file of prometheus.rule_files ?? []) {
        expect(join(REPO_ROOT, 'collector/scale', file)).toBe(ALERT_RULES);
        expect(hostPathOf(prometheusService, posix.join(posix.dirname(configPath), file))).toBe(ALERT_RULES);
      }
    });

    it("keeps local data for the longest range alerts.yml's rules read", () => {
      const ranges = [...readFileSync(ALERT_RULES, 'utf8').matchAll(/\[(\d+[smhdwy])\]/g)].map(
        (m) => m[1] ?? '',
      );
      const longest = Math.max(...ranges.map(promDurationSeconds));
      expect(longest).toBe(promDurationSeconds('3d'));
      const retention = commandOf(prometheusService)
        .find((arg) => arg.startsWith('--storage.tsdb.retention.time='))
        ?.split('=')[1];
      expect(promDurationSeconds(retention ?? '0s')).toBeGreaterThan(longest);
    });

    it("scrapes the agents' and the samplers' prometheus exporters, keeping job and adding collector", () => {
      const agentPort = portOf((agent.exporters.prometheus as { endpoint: string }).endpoint, agentEnv);
      const samplerPort = portOf(collector.exporters.prometheus?.endpoint ?? '', {});
      const agents = job('otel-agent');
      const samplers = job('otel-sampler');
      expect(targetsOf(agents === undefined ? [] : [agents])).toEqual([`otel-agent:${agentPort}`]);
      expect(targetsOf(samplers === undefined ? [] : [samplers])).toEqual(
        SAMPLERS.map((name) => `${name}:${samplerPort}`),
      );
      for (const config of [agents, samplers]) {
        expect(config?.honor_labels).toBe(true);
        expect(config?.relabel_configs).toEqual([
          { source_labels: ['__address__'], target_label: 'collector' },
        ]);
      }
    });

    it('scrapes only compose services and alerts through the alertmanager service', () => {
      const targets = targetsOf(prometheus.scrape_configs).map(hostAndPort);
      for (const { host } of targets) expect(scale.serviceNames).toContain(host);
      expect(targetsOf(prometheus.alerting.alertmanagers).map(hostAndPort)).toEqual([
        { host: 'alertmanager', port: portsOf(scale.service('alertmanager'))[0]?.target },
      ]);
      expect(scale.service('alertmanager')).toEqual(service('alertmanager'));
    });

    it('remote-writes to the victoriametrics service on the port it listens on', () => {
      expect(prometheus.remote_write).toHaveLength(1);
      const url = new URL(prometheus.remote_write?.[0]?.url ?? '');
      const listen = commandOf(scale.service('victoriametrics'))
        .find((arg) => arg.startsWith('-httpListenAddr='))
        ?.split(':')
        .at(-1);
      expect({ host: url.hostname, port: url.port, path: url.pathname }).toEqual({
        host: 'victoriametrics',
        port: listen,
        path: '/api/v1/write',
      });
      expect(portsOf(scale.service('victoriametrics')).map((port) => String(port.target))).toEqual([listen]);
      expect(prometheus.remote_write?.[0]?.queue_config).toBeDefined();
    });
  });
});
