/**
 * The bundled LogHub samples (`data/loghub/<Set>/`, `data/hdfs/`): each set's
 * raw lines and the structured CSV LogPAI published beside them, which gives
 * every line's header fields and event template.
 */
import { readFileSync } from 'node:fs'

/** The nine sets the acceptance tests run on. */
export const LOGHUB_SETS = ['HDFS', 'BGL', 'Hadoop', 'Zookeeper', 'Spark', 'OpenStack', 'Linux', 'Apache', 'OpenSSH'] as const
export type LoghubSet = (typeof LOGHUB_SETS)[number]

export interface LoghubSample {
  readonly name: LoghubSet
  /** Raw lines, in file order, without their line ends. */
  readonly lines: string[]
  /** One row per line: column name → value (LineId, the header fields, Content, EventId, EventTemplate). */
  readonly rows: Array<Record<string, string>>
}

const dirOf = (name: LoghubSet) => (name === 'HDFS' ? new URL('../../data/hdfs/', import.meta.url) : new URL(`../../data/loghub/${name}/`, import.meta.url))

/** Splits CSV text as LogPAI wrote it (RFC 4180: quoted fields, doubled quotes inside). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** One set's lines and structured rows; throws if they do not pair up one to one. */
export function loadLoghub(name: LoghubSet): LoghubSample {
  const dir = dirOf(name)
  const lines = readFileSync(new URL(`${name}_2k.log`, dir), 'utf8').split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  const [header, ...body] = parseCsv(readFileSync(new URL(`${name}_2k.log_structured.csv`, dir), 'utf8'))
  const rows = body.filter((r) => r.length > 1).map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])))
  if (rows.length !== lines.length) throw new Error(`${name}: ${lines.length} lines but ${rows.length} structured rows`)
  return { name, lines, rows }
}
