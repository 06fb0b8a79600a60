/**
 * What can be checked of the deployment files without a container engine or a
 * cluster: the alert rules with promtool (syntax and unit tests), and that the
 * dashboard, the rules, the manifests, the compose file, the Dockerfile and the
 * systemd unit parse, agree with each other, and name only metrics and
 * settings that exist.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { createPipelineMetrics } from '../../operators/metrics.ts'
import { CONFIG_FIELDS } from '../../src/config.ts'
import { IMAGE_PROCESS_VARIABLES, imageProcessEnv } from '../../bench/processes.ts'

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (p: string) => readFileSync(`${DEPLOY}${p}`, 'utf8')

/** Every series name the job exposes: its own metrics (with histogram suffixes) and the default process metrics. */
async function knownSeries(): Promise<Set<string>> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  createPipelineMetrics(registry)
  const names = new Set<string>(['up'])
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name)
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`)
  }
  return names
}

const metricsIn = (expr: string) => [...expr.matchAll(/\b(logstream_[a-z_]+|process_[a-z_]+|nodejs_[a-z_]+|up)\b(?=\s*[{[)\s]|$)/g)].map((m) => m[1]!)

test('the alert rules pass promtool check and its unit tests, and name metrics that exist', async () => {
  assert.match(execFileSync('promtool', ['check', 'rules', `${DEPLOY}prometheus/alerts.yaml`], { encoding: 'utf8' }), /SUCCESS: 10 rules found/)
  assert.match(execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: `${DEPLOY}prometheus`, encoding: 'utf8' }), /SUCCESS/)
  const known = await knownSeries()
  const rules = parseYaml(read('prometheus/alerts.yaml')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
  const alerts = rules.groups.flatMap((g) => g.rules)
  assert.deepEqual(alerts.map((r) => r.alert).sort(), ['LogstreamDataLoss', 'LogstreamDeadLettersDropped', 'LogstreamDeadLettersRising', 'LogstreamDependencyDown', 'LogstreamDependencyRetries', 'LogstreamDown', 'LogstreamLagGrowing', 'LogstreamNewLogPatterns', 'LogstreamNoCommits', 'LogstreamRecordsRefused'])
  for (const r of alerts) for (const m of metricsIn(r.expr)) assert.ok(known.has(m), `${r.alert} uses ${m}, which logstream does not expose`)
})

test('the Grafana dashboard parses and every panel queries metrics that exist', async () => {
  const known = await knownSeries()
  const dashboard = JSON.parse(read('grafana/dashboards/logstream.json')) as { uid: string; panels: Array<{ title: string; targets: Array<{ expr: string }> }> }
  assert.equal(dashboard.uid, 'logstream')
  assert.ok(dashboard.panels.length >= 10)
  const used = new Set<string>()
  for (const p of dashboard.panels) {
    assert.ok(p.targets.length > 0, p.title)
    for (const t of p.targets) for (const m of metricsIn(t.expr)) {
      used.add(m)
      assert.ok(known.has(m), `panel "${p.title}" uses ${m}, which logstream does not expose`)
    }
  }
  for (const m of ['logstream_consumer_lag', 'logstream_checkpoint_age_seconds', 'logstream_end_to_end_latency_seconds_bucket', 'logstream_dependency_retries_total']) assert.ok(used.has(m), `the dashboard shows ${m}`)
  const provisioning = parseYaml(read('grafana/provisioning/dashboards/logstream.yaml')) as { providers: Array<{ options: { path: string } }> }
  assert.equal(provisioning.providers[0]!.options.path, '/var/lib/grafana/dashboards')
})

test('the compose file is consistent: partition groups cover the topic once, Prometheus scrapes both jobs, volumes and health checks exist', () => {
  const compose = parseYaml(read('compose.yaml'), { merge: true }) as {
    services: Record<string, { command?: string[]; volumes?: string[]; healthcheck?: unknown; environment?: Record<string, string>; entrypoint?: string[] }>
    volumes: Record<string, unknown>
  }
  for (const s of ['kafka', 'kafka-init', 'qdrant', 'embeddings', 'job-a', 'job-b', 'producer', 'prometheus', 'grafana']) assert.ok(compose.services[s], `service ${s}`)
  const partitionsCreated = Number(compose.services['kafka-init']!.entrypoint![compose.services['kafka-init']!.entrypoint!.indexOf('--partitions') + 1])
  const owned: number[] = []
  for (const job of ['job-a', 'job-b']) {
    const cmd = compose.services[job]!.command!
    const spec = cmd[cmd.indexOf('--partitions') + 1]!
    const [, from, to] = /^logs:(\d+)-(\d+)$/.exec(spec)!.map(Number)
    for (let p = from!; p <= to!; p++) owned.push(p)
    assert.notEqual(cmd[cmd.indexOf('--job') + 1], undefined)
    const env = compose.services[job]!.environment!
    for (const name of Object.keys(env)) assert.ok(CONFIG_FIELDS.some((f) => f.meta.env?.includes(name)), `${job} sets ${name}, which is no configuration variable`)
    for (const v of compose.services[job]!.volumes!) assert.ok(v.split(':')[0]! in compose.volumes, `volume ${v} declared`)
    assert.ok(compose.services[job]!.volumes!.some((v) => v.endsWith(':/var/lib/logstream/checkpoints')), `${job} keeps its checkpoints on a volume`)
  }
  assert.deepEqual(owned.sort((a, b) => a - b), Array.from({ length: partitionsCreated }, (_, i) => i), 'every partition owned by exactly one job')
  for (const s of ['kafka', 'qdrant', 'embeddings']) assert.ok(compose.services[s]!.healthcheck, `${s} has a health check`)
  const prometheus = parseYaml(read('prometheus/prometheus.yml')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>; rule_files: string[] }
  assert.deepEqual(prometheus.scrape_configs[0]!.static_configs[0]!.targets.sort(), ['job-a:9400', 'job-b:9400'])
  assert.ok(compose.services.prometheus!.volumes!.some((v) => v.includes('alerts.yaml')))
})

test('the Kubernetes manifests parse; each replica derives a distinct partition group and keeps checkpoints on its own volume', () => {
  const docs = parseAllDocuments(read('k8s/logstream.yaml')).map((d) => d.toJS() as { kind: string; spec?: Record<string, unknown>; data?: Record<string, string> })
  assert.deepEqual(docs.map((d) => d.kind), ['ConfigMap', 'Secret', 'Service', 'StatefulSet', 'ServiceMonitor'])
  const sts = docs.find((d) => d.kind === 'StatefulSet')!.spec as {
    replicas: number
    volumeClaimTemplates: Array<{ metadata: { name: string } }>
    template: { metadata: { annotations: Record<string, string> }; spec: { containers: Array<{ args: string[]; livenessProbe: { httpGet: { path: string } }; readinessProbe: { httpGet: { path: string } }; volumeMounts: Array<{ name: string; mountPath: string }> }> } }
  }
  const container = sts.template.spec.containers[0]!
  assert.equal(container.livenessProbe.httpGet.path, '/healthz')
  assert.equal(container.readinessProbe.httpGet.path, '/readyz')
  assert.equal(sts.volumeClaimTemplates[0]!.metadata.name, container.volumeMounts[0]!.name)
  assert.equal(container.volumeMounts[0]!.mountPath, '/var/lib/logstream/checkpoints')
  assert.equal(sts.template.metadata.annotations['prometheus.io/port'], '9400')
  const config = docs.find((d) => d.kind === 'ConfigMap')!.data!
  for (const name of Object.keys(config)) if (name !== 'PARTITIONS_PER_GROUP') assert.ok(CONFIG_FIELDS.some((f) => f.meta.env?.includes(name)), `ConfigMap sets ${name}, which is no configuration variable`)
  // Run the container's own shell arithmetic for each ordinal.
  const groups = Array.from({ length: sts.replicas }, (_, ordinal) =>
    execFileSync('/bin/sh', ['-c', container.args[0]!.replace('exec node bin/logstream.js', 'echo')], { env: { HOSTNAME: `logstream-${ordinal}`, PARTITIONS_PER_GROUP: config.PARTITIONS_PER_GROUP!, PATH: process.env.PATH! }, encoding: 'utf8' }).trim(),
  )
  assert.deepEqual(groups, ['run --source kafka --job group-0 --partitions logs:0-2', 'run --source kafka --job group-1 --partitions logs:3-5'])
})

test('the Dockerfile builds in two stages, runs as a non-root user with a health check and the checkpoint volume; the systemd unit uses real settings', () => {
  const dockerfile = read('Dockerfile')
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2)
  assert.match(dockerfile, /^USER logstream$/m)
  assert.match(dockerfile, /^HEALTHCHECK .*\/healthz/m)
  assert.match(dockerfile, /^VOLUME \["\/var\/lib\/logstream\/checkpoints"\]$/m)
  assert.match(dockerfile, /CKJS_LINKING=dynamic npm ci/)
  for (const m of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
    for (const src of m[1]!.split(' ')) assert.ok(existsSync(`${ROOT}${src}`), `COPY ${src} exists`)
  }
  const processVariables: readonly string[] = IMAGE_PROCESS_VARIABLES
  for (const m of dockerfile.matchAll(/^\s+(\w+)=\S+/gm)) if (!['NODE_ENV', ...processVariables].includes(m[1]!)) assert.ok(CONFIG_FIELDS.some((f) => f.meta.env?.includes(m[1]!)), `ENV ${m[1]} is a configuration variable`)
  const unit = read('systemd/logstream@.service')
  for (const m of unit.matchAll(/^Environment="?(\w+)=/gm)) if (!processVariables.includes(m[1]!)) assert.ok(CONFIG_FIELDS.some((f) => f.meta.env?.includes(m[1]!)), `the unit sets ${m[1]}, a configuration variable`)
  // The unit runs the job as the image does, and the bench measures it so (it reads the image's values).
  const imageEnv = imageProcessEnv(ROOT)
  assert.deepEqual(Object.keys(imageEnv), processVariables)
  for (const [name, value] of Object.entries(imageEnv)) {
    // systemd takes a value with spaces quoted whole: Environment="NODE_OPTIONS=--a --b".
    const setting = `${name}=${value}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    assert.match(unit, new RegExp(`^Environment=(?:${setting}|"${setting}")$`, 'm'), `the unit sets ${name}=${value} as the image does`)
  }
  execFileSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: imageEnv.NODE_OPTIONS } })
  assert.match(unit, /^KillSignal=SIGTERM$/m)
  assert.match(unit, /^ExecStart=.*bin\/logstream\.js run/m)
})

test('every Qdrant image the deploy files name is 1.18 or later, and compose runs one', () => {
  const files = execFileSync('find', [DEPLOY, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean)
  const named = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/qdrant\/qdrant:v?(\d+)\.(\d+)(?:\.\d+)?/g)].map((m) => ({ file: f.slice(DEPLOY.length), tag: m[0], version: [Number(m[1]), Number(m[2])] as const })))
  assert.ok(named.some((n) => n.file === 'compose.yaml'), 'compose names a Qdrant image')
  for (const n of named) assert.ok(n.version[0] > 1 || (n.version[0] === 1 && n.version[1] >= 18), `${n.file} names ${n.tag}`)
  const compose = parseYaml(read('compose.yaml'), { merge: true }) as { services: Record<string, { image?: string }> }
  assert.match(compose.services.qdrant!.image!, /^qdrant\/qdrant:v1\.(1[89]|[2-9]\d)\./)
})
