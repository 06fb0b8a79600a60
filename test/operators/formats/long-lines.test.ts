/**
 * No line, however long or odd, costs more than a pass over it: a record is
 * read and masked in time proportional to its length, so one hostile record
 * cannot stall the pipeline. Lines of 1 MiB (the default message limit) built
 * from the characters that make patterns backtrack (dots and dashes of host
 * names, digits and colons of times and addresses, spaces between header
 * fields, brackets, quotes) go through every format and the masking; each
 * took minutes to hours with the patterns this replaced, and takes well under
 * a second now. The bound below leaves a margin of tens for a busy machine.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maskVariables } from '../../../operators/mask.ts'
import { parseRecord } from '../../../operators/parse.ts'
import { FORMATS, resolveLineFormat, type LineFormatSpec } from '../../../operators/formats/index.ts'

const SIZE = 1 << 20
const BOUND_MS = 5000

function repeat(unit: string): string {
  return unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE)
}

/** A deterministic mix of the pieces log headers are made of. */
function mixed(seed: number): string {
  const pieces = ['Jun', '14', '15:16:01', 'INFO', '[', ']', ':', '-', 'user', 'http://', '/a', '1.2.3.4', 'a.b', '"', '=', ' ', '  ', '2015-10-18', '18:01:47,978', '|', 'blk_1', '0x', 'ff', '@', '(', ')']
  let s = seed
  const out: string[] = []
  let length = 0
  while (length < SIZE) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    const p = pieces[s % pieces.length]!
    out.push(p)
    length += p.length
  }
  return out.join('').slice(0, SIZE)
}

const LINES: Record<string, string> = {
  dots: repeat('a.'),
  dashes: repeat('a-'),
  'digits and dots': repeat('1.'),
  'labels and dots': repeat('ab1.'),
  'digits, spaces and colons': repeat('1 :1  1: 11 '),
  'spaces between words': repeat('a '),
  'key=value words': repeat('a=b '),
  brackets: repeat('[a] '),
  'a header, then words': `2016-09-28 04:30:30, Info ${repeat('a ')}`,
  'mixed 1': mixed(1),
  'mixed 2': mixed(2),
}

const SPECS: Array<[string, LineFormatSpec]> = [
  ['auto', resolveLineFormat('auto')],
  ...FORMATS.map((f): [string, LineFormatSpec] => [f.name, { kind: 'format', format: f }]),
  ['a template of five fields and a bracket', resolveLineFormat('<A> <B> <C> <D> <E> [<Level>] <Content>')],
  ['a template with its message in the middle', resolveLineFormat('<Date> <Time> <Content> [<Level>]')],
]

for (const [name, line] of Object.entries(LINES)) {
  test(`a 1 MiB line of ${name} is read by every format and masked in time proportional to its length`, () => {
    const value = Buffer.from(line)
    for (const [spec, format] of SPECS) {
      const started = performance.now()
      const out = parseRecord({ partition: 'p', offset: 0, nextOffset: 1, key: null, value }, { maxMessageBytes: 2 * SIZE, format })
      const ms = performance.now() - started
      assert.ok('entry' in out || 'reason' in out)
      assert.ok(ms < BOUND_MS, `${spec}: ${ms.toFixed(0)} ms`)
    }
    const started = performance.now()
    maskVariables(line)
    const ms = performance.now() - started
    assert.ok(ms < BOUND_MS, `masking: ${ms.toFixed(0)} ms`)
  })
}
