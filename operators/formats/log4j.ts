/**
 * Java logging layouts (log4j, logback, Spring Boot) and Python's logging:
 * a timestamp, then level, thread and logger in one of the common orders.
 * Hadoop, Spark and ZooKeeper write three of them.
 */
import { parseTimestamp } from './time.ts'
import type { LineFormat, ParsedLine } from './types.ts'
import type { TimeContext } from './time.ts'

const TS = String.raw`(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?|\d\d/\d\d/\d\d \d\d:\d\d:\d\d(?:[.,]\d{1,9})?|\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:[.,]\d{1,9})?)`
const LEVEL = '(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE|CRITICAL|NOTICE)'
const LOGGER = String.raw`([\w$.\-]+)`

interface Layout {
  readonly pattern: RegExp
  readonly read: (m: RegExpExecArray) => Omit<ParsedLine, 'timestamp'> & { ts: string }
}

const LAYOUTS: readonly Layout[] = [
  // ZooKeeper: %d{ISO8601} - %-5p [%t:%C{1}@%L] - %m
  {
    pattern: new RegExp(String.raw`^${TS} - ${LEVEL} +\[(.*):([\w$.]+)@(\d+)\] - (.*)$`),
    read: (m) => ({ ts: m[1]!, level: m[2], component: m[4], text: m[6]!, fields: { thread: m[3]!, line: m[5]! } }),
  },
  // Hadoop: %d{ISO8601} %p [%t] %c: %m
  {
    pattern: new RegExp(String.raw`^${TS} ${LEVEL} +\[([^\]]*)\] ${LOGGER}: (.*)$`),
    read: (m) => ({ ts: m[1]!, level: m[2], component: m[4], text: m[5]!, fields: { thread: m[3]! } }),
  },
  // Spring Boot: %d %5p PID --- [%t] %-40.40logger{39} : %m (3.x may add [application] before the thread)
  {
    pattern: new RegExp(String.raw`^${TS} +${LEVEL} (\d+) --- (?:\[[^\]]*\] )?\[ *([^\]]*?)\] ${LOGGER} *: (.*)$`),
    read: (m) => ({ ts: m[1]!, level: m[2], pid: m[3], component: m[5], text: m[6]!, fields: { thread: m[4]! } }),
  },
  // logback: %d [%thread] %-5level %logger{36} - %msg
  {
    pattern: new RegExp(String.raw`^${TS} \[([^\]]*)\] ${LEVEL} +${LOGGER} - (.*)$`),
    read: (m) => ({ ts: m[1]!, level: m[3], component: m[4], text: m[5]!, fields: { thread: m[2]! } }),
  },
  // Spark (log4j %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m) and other %d %p %c: %m layouts
  {
    pattern: new RegExp(String.raw`^${TS} ${LEVEL} +${LOGGER}: (.*)$`),
    read: (m) => ({ ts: m[1]!, level: m[2], component: m[3], text: m[4]! }),
  },
  // Python logging: %(asctime)s - %(name)s - %(levelname)s - %(message)s
  {
    pattern: new RegExp(String.raw`^${TS} - ${LOGGER} - ${LEVEL} - (.*)$`),
    read: (m) => ({ ts: m[1]!, level: m[3], component: m[2], text: m[4]! }),
  },
]

function parseLog4j(line: string, ctx: TimeContext): ParsedLine | null {
  // Every layout starts with a digit; most lines of other formats stop here.
  const c = line.charCodeAt(0)
  if (c < 48 || c > 57) return null
  for (const layout of LAYOUTS) {
    const m = layout.pattern.exec(line)
    if (!m) continue
    const { ts, ...rest } = layout.read(m)
    const timestamp = parseTimestamp(ts, ctx)
    const text = rest.text.trim()
    if (!timestamp || text === '') return null
    return { ...rest, text, timestamp }
  }
  return null
}

export const log4j: LineFormat = {
  name: 'log4j',
  aliases: ['logback', 'hadoop', 'spark', 'zookeeper', 'spring-boot', 'python'],
  description: 'log4j / logback / Spring Boot / Python logging layouts: timestamp, level, [thread], logger, message',
  example: '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001',
  parse: parseLog4j,
}
