/**
 * LogPAI header templates: the `log_format` of LogPAI's benchmark settings for
 * each of the nine bundled LogHub sets, compiled as a user's `--log-format`,
 * read every line of its set into the structured CSV's columns.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileTemplate, isTemplate } from '../../../operators/formats/template.ts'
import { resolveLineFormat } from '../../../operators/formats/index.ts'
import { loadLoghub, type LoghubSet } from '../../helpers/loghub.ts'

const ctx = { referenceMs: () => Date.UTC(2026, 0, 15) }

/** LogPAI's benchmark settings (logparser, benchmark/*_benchmark.py). */
const LOGPAI: Record<LoghubSet, string> = {
  HDFS: '<Date> <Time> <Pid> <Level> <Component>: <Content>',
  Hadoop: '<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>',
  Spark: '<Date> <Time> <Level> <Component>: <Content>',
  Zookeeper: '<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>',
  BGL: '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>',
  Linux: '<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>',
  Apache: '\\[<Time>\\] \\[<Level>\\] <Content>',
  OpenSSH: '<Date> <Day> <Time> <Component> sshd\\[<Pid>\\]: <Content>',
  OpenStack: '<Logrecord> <Date> <Time> <Pid> <Level> <Component> \\[<ADDR>\\] <Content>',
}

for (const [name, template] of Object.entries(LOGPAI) as Array<[LoghubSet, string]>) {
  test(`${name}: LogPAI's header template reads every line into the CSV's columns`, () => {
    const format = compileTemplate(template)
    const sample = loadLoghub(name)
    sample.lines.forEach((line, i) => {
      const parsed = format.parse(line.trim(), ctx)
      const row = sample.rows[i]!
      assert.ok(parsed, `line ${i + 1}`)
      assert.equal(parsed.text, row.Content!.trim(), `line ${i + 1}: the message`)
      assert.ok(parsed.timestamp, `line ${i + 1}: a timestamp`)
      // LogPAI names Linux's host field <Level>: a template's names decide the roles.
      if (row.Level !== undefined) assert.equal(parsed.level, row.Level, `line ${i + 1}: the level field`)
      if (row.Component !== undefined) assert.equal(parsed.component, row.Component || undefined, `line ${i + 1}: the component`)
    })
  })
}

test('a template maps fields by name: host, pid, label, and the rest under fields', () => {
  const format = compileTemplate('<Label> <Date> <Time> <Host> <Pid> <Severity> <Logger> <Thread>: <Content>')
  const parsed = format.parse('ALERT 2024-01-15 10:00:00 web-1 42 warn app.db pool-3: connection refused', ctx)
  assert.deepEqual(parsed, { text: 'connection refused', timestamp: '2024-01-15T10:00:00.000', label: 'ALERT', host: 'web-1', pid: '42', level: 'warn', component: 'app.db', fields: { thread: 'pool-3' } })
  assert.equal(format.parse('- 2024-01-15 10:00:00 web-1 42 warn app.db pool-3: x', ctx)?.label, undefined, "a label of '-' is none")
  assert.equal(format.parse('ALERT not-a-date 10:00:00 web-1 42 warn app.db pool-3: x', ctx), null, 'time fields must read as a timestamp')
  assert.equal(format.parse('ALERT 2024-01-15 10:00:00 web-1 42 warn app.db pool-3: ', ctx), null, 'an empty message is no match')
})

test('fields named like members of every object (<constructor>, <toString>) are fields like any other', () => {
  const format = compileTemplate('<Date> <Time> <constructor> <toString>: <Content>')
  const parsed = format.parse('2024-01-15 10:00:00 a b: hello', ctx)
  assert.deepEqual(parsed, { text: 'hello', timestamp: '2024-01-15T10:00:00.000', fields: { constructor: 'a', tostring: 'b' } })
})

test('without a backslash the text between fields is literal; with one it is a regular expression, as LogPAI reads it', () => {
  const literal = compileTemplate('<Date> <Time> [<Level>] (<Component>) <Content>')
  assert.deepEqual(literal.parse('2024-01-15 10:00:00 [warn] (db) pool exhausted', ctx), { text: 'pool exhausted', timestamp: '2024-01-15T10:00:00.000', level: 'warn', component: 'db', fields: undefined })
  assert.equal(literal.parse('2024-01-15 10:00:00 w db pool exhausted', ctx), null)
  const regex = compileTemplate('<Date> <Time> \\[<Level>\\] (\\(<Component>\\) )?<Content>')
  assert.equal(regex.parse('2024-01-15 10:00:00 [warn] pool exhausted', ctx)?.text, 'pool exhausted')
  assert.equal(regex.parse('2024-01-15 10:00:00 [warn] (db) pool exhausted', ctx)?.component, 'db')
})

test('a template without <Content>, or that is no valid pattern, is refused with CONFIG_INVALID', () => {
  assert.throws(() => compileTemplate('<Date> <Time> <Level>'), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /<Content>/.test(err.message))
  assert.throws(() => compileTemplate('<Date> \\d( <Content>'), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /not a valid pattern/.test(err.message))
  assert.ok(isTemplate('<Date> <Content>'))
  assert.ok(!isTemplate('syslog'))
  const spec = resolveLineFormat('<Date> <Time> <Level> <Component>: <Content>')
  assert.ok(spec.kind === 'format' && spec.format.name === 'template')
})
