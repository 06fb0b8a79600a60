/**
 * Every configuration field and every command option, walked from the specs:
 * its flag parses, its environment names are read, its help line exists,
 * booleans take true/false/--no- in every spelling, and nothing the spec does
 * not allow gets through.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { CONFIG_FIELDS, loadConfig, type ConfigField } from '../../src/config.ts'
import { configHelp } from '../../src/config-docs.ts'
import { COMMANDS } from '../../src/cli/commands.ts'
import type { Command } from '../../src/cli/command.ts'
import type { FieldMeta } from '../../src/options.ts'
import { BIN, ROOT } from '../helpers/cli.ts'

function getPath(obj: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj)
}

/** A value other than the default for each kind, as text, and what it parses to. */
function sample(meta: FieldMeta, key: string): { text: string; value: unknown } {
  const d = meta.default
  switch (meta.kind) {
    case 'string':
      if (key === 'lineFormat') return { text: 'hdfs', value: 'hdfs' }
      return key === 'since' || key === 'until' ? { text: '2008-11-09', value: '2008-11-09' } : { text: 'sample-value', value: 'sample-value' }
    case 'int':
      if (d === undefined) return key === 'maxInFlight' ? { text: '5001', value: 5001 } : { text: '7', value: 7 }
      return { text: String(Number(d) + 1), value: Number(d) + 1 }
    case 'number':
      return { text: '0.25', value: 0.25 }
    case 'bool':
      return { text: String(!d), value: !d }
    case 'enum': {
      const other = meta.values!.find((v) => v !== d)!
      return { text: other, value: other }
    }
    case 'list':
      return { text: 'a,b', value: ['a', 'b'] }
    case 'duration':
      return { text: '2s', value: 2000 }
    case 'map':
      return { text: 'client.id=sample', value: { 'client.id': 'sample' } }
    case 'url':
      return { text: 'http://other-host:1234/path', value: 'http://other-host:1234/path' }
    case 'source':
      return { text: 'kafka', value: { kind: 'kafka' } }
    case 'partitions':
      return { text: 'logs:0-1', value: [{ topic: 'logs', partition: 0 }, { topic: 'logs', partition: 1 }] }
  }
}

const BOOLEAN_SPELLINGS: ReadonlyArray<[string[], boolean]> = [
  [['--X'], true],
  [['--X', 'true'], true],
  [['--X=true'], true],
  [['--X', 'yes'], true],
  [['--X', 'false'], false],
  [['--X=false'], false],
  [['--X', 'no'], false],
  [['--X', '0'], false],
  [['--X=off'], false],
  [['--no-X'], false],
]

const commands: Command[] = await Promise.all(Object.values(COMMANDS).map((c) => c.load()))
const run = commands.find((c) => c.name === 'run')!

/** The configuration a command line gives, through the same parser every command uses. */
function configFrom(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const line = run.parse(argv, env)
  assert.deepEqual(line.positionals, [], `no stray words from ${argv.join(' ')}`)
  return loadConfig({ flags: line.configFlags, env })
}

test('every configuration field: its flag parses, each environment name is read, its help line exists', () => {
  const help = configHelp()
  for (const f of CONFIG_FIELDS) {
    const { text, value } = sample(f.meta, f.key)
    assert.deepEqual(getPath(configFrom([`--${f.meta.flag}`, text]), f.key), value, `--${f.meta.flag} ${text}`)
    assert.deepEqual(getPath(configFrom([`--${f.meta.flag}=${text}`]), f.key), value, `--${f.meta.flag}=${text}`)
    assert.ok(f.meta.env && f.meta.env.length > 0, `${f.key} has an environment name`)
    for (const name of f.meta.env) assert.deepEqual(getPath(loadConfig({ env: { [name]: text } }), f.key), value, `${name}=${text}`)
    const flagShown = f.meta.kind === 'bool' ? `--[no-]${f.meta.flag}` : `--${f.meta.flag} `
    assert.ok(help.includes(flagShown), `help shows ${flagShown}`)
    for (const name of f.meta.env) assert.ok(help.includes(name), `help names ${name}`)
    assert.ok(f.meta.description.length >= 8, `${f.key} is described`)
  }
})

test('every boolean field takes --x, --x true|false, --x=false and --no-x, and leaves no stray word', () => {
  const booleans = CONFIG_FIELDS.filter((f) => f.meta.kind === 'bool')
  assert.ok(booleans.length >= 6)
  for (const f of booleans) {
    for (const [words, want] of BOOLEAN_SPELLINGS) {
      const argv = words.map((w) => w.replace('X', f.meta.flag))
      assert.equal(getPath(configFrom(argv), f.key), want, argv.join(' '))
    }
    assert.throws(() => configFrom([`--${f.meta.flag}=maybe`]), /must be true or false/)
  }
})

test('every command option: its flag parses, its environment name is read, its help line exists, booleans take every spelling', () => {
  const configFlags = new Set(['config', 'help', ...CONFIG_FIELDS.map((f) => f.meta.flag)])
  for (const command of commands) {
    const help = command.help()
    const minimal = command.name === 'search' ? ['text'] : command.name === 'produce' ? ['file'] : ['checkpoint', 'dlq', 'collections'].includes(command.name) ? ['list'] : []
    for (const [name, meta] of command.options) {
      assert.ok(!configFlags.has(meta.flag!), `${command.name} --${meta.flag} is not also a configuration flag`)
      const { text, value } = sample(meta, name)
      const parsed = command.parse([...minimal, `--${meta.flag}`, text], {})
      assert.deepEqual(parsed.options[name], meta.kind === 'list' ? [text] : value, `${command.name} --${meta.flag} ${text}`)
      if (meta.short) assert.deepEqual(command.parse([...minimal, `-${meta.short}`, text], {}).options[name], value, `${command.name} -${meta.short}`)
      for (const env of meta.env ?? []) assert.deepEqual(command.parse(minimal, { [env]: text }).options[name], value, `${command.name} ${env}=${text}`)
      assert.ok(help.includes(meta.kind === 'bool' ? `--[no-]${meta.flag}` : `--${meta.flag} `), `${command.name} help shows --${meta.flag}`)
      if (meta.kind === 'bool') {
        for (const [words, want] of BOOLEAN_SPELLINGS) {
          const argv = [...minimal, ...words.map((w) => w.replace('X', meta.flag!))]
          const line = command.parse(argv, {})
          assert.equal(line.options[name], want, `${command.name} ${argv.join(' ')}`)
          assert.deepEqual(line.positionals, minimal, `${command.name} ${argv.join(' ')} leaves no stray word`)
        }
      }
      if (meta.kind === 'int' || meta.kind === 'number') assert.throws(() => command.parse([...minimal, `--${meta.flag}`, 'many'], {}), (err: Error & { code?: string }) => err.code === 'USAGE' && err.message.includes(`--${meta.flag}`))
    }
    assert.throws(() => command.parse([...minimal, '--no-such-option'], {}), (err: Error & { code?: string }) => err.code === 'USAGE' && /unknown option --no-such-option/.test(err.message))
  }
})

test('stray positional arguments are refused by every command', () => {
  const extra: Record<string, string[]> = { search: [], produce: [], checkpoint: ['show', 'extra'], dlq: ['list', 'extra'], collections: ['info', 'name', 'extra'] }
  for (const command of commands) {
    if (command.name === 'search' || command.name === 'produce') continue // they take any number of words or paths
    const argv = extra[command.name] ?? ['extra-positional']
    assert.throws(() => command.parse(argv, {}), (err: Error & { code?: string }) => err.code === 'USAGE' && /unexpected argument/.test(err.message), command.name)
  }
})

test('the CLI: `config extra-positional` exits 2; --dlq false, --follow false and --http false take effect', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_FORMAT: 'json' } })
  const stray = cli(['config', 'extra-positional'])
  assert.equal(stray.status, 2)
  assert.match(stray.stderr, /unexpected argument "extra-positional"/)
  const off = cli(['config', '--dlq', 'false', '--follow', 'false', '--http', 'false'])
  assert.equal(off.status, 0, off.stderr)
  const c = JSON.parse(off.stdout) as { kafka: { dlqEnabled: boolean }; follow: boolean; http: { enabled: boolean } }
  assert.deepEqual([c.kafka.dlqEnabled, c.follow, c.http.enabled], [false, false, false])
  const on = JSON.parse(cli(['config', '--follow', '--no-dlq', '--http=true']).stdout) as typeof c
  assert.deepEqual([on.kafka.dlqEnabled, on.follow, on.http.enabled], [false, true, true])
})

test('the in-flight limit follows the batch size unless set, and set below it is refused naming both fields', () => {
  assert.equal(loadConfig().maxInFlight, 5000)
  assert.equal(configFrom(['--batch-size', '10000']).maxInFlight, 50_000)
  assert.equal(configFrom(['--batch-size', '10000', '--max-in-flight', '10000']).maxInFlight, 10_000)
  assert.throws(
    () => configFrom(['--batch-size', '10000', '--max-in-flight', '5000']),
    (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /maxInFlight/.test(err.message) && /batch\.maxSize/.test(err.message) && err.message.split('\n').length === 2,
  )
})

test('source is parsed once into kafka or a file path', () => {
  assert.deepEqual(configFrom(['--source', 'kafka']).source, { kind: 'kafka' })
  const file = configFrom(['--source', 'file:data/x.log']).source
  assert.equal(file.kind, 'file')
  assert.ok(file.kind === 'file' && file.path.startsWith('/') && file.path.endsWith('/data/x.log'))
  assert.throws(() => configFrom(['--source', 'ftp:x']), /must be 'kafka' or 'file:PATH'/)
  assert.throws(() => configFrom(['--source', 'file:']), /needs a path/)
})

test('each field is a secret exactly when its name says so', () => {
  const secret = (f: ConfigField) => f.secret
  assert.deepEqual(CONFIG_FIELDS.filter(secret).map((f) => f.key), ['embedder.apiKey', 'qdrant.apiKey'])
})
