import { test } from 'node:test'
import assert from 'node:assert/strict'
import { levelOfNumber, levelOfSeverity, levelWordIn, normaliseLevel } from '../../../operators/formats/levels.ts'

test('level names of every family fold onto TRACE, DEBUG, INFO, WARN, ERROR, FATAL', () => {
  const cases: Array<[string, string]> = [
    ['INFO', 'INFO'], ['info', 'INFO'], ['notice', 'INFO'], ['Information', 'INFO'], ['AUDIT', 'INFO'], ['I', 'INFO'],
    ['WARN', 'WARN'], ['WARNING', 'WARN'], ['warn', 'WARN'], ['W', 'WARN'],
    ['ERROR', 'ERROR'], ['err', 'ERROR'], ['SEVERE', 'ERROR'], ['FAILURE', 'ERROR'], ['E', 'ERROR'],
    ['FATAL', 'FATAL'], ['CRITICAL', 'FATAL'], ['crit', 'FATAL'], ['alert', 'FATAL'], ['emerg', 'FATAL'], ['F', 'FATAL'],
    ['DEBUG', 'DEBUG'], ['FINE', 'DEBUG'], ['D', 'DEBUG'], ['TRACE', 'TRACE'], ['finest', 'TRACE'], ['V', 'TRACE'],
    ['custom', 'CUSTOM'],
  ]
  for (const [name, level] of cases) assert.equal(normaliseLevel(name), level, name)
})

test('a level named like a member of Object.prototype is a level name like any other', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal(normaliseLevel(name), name.toUpperCase(), name)
})

test('numeric levels: syslog severities 0–7, pino and bunyan 10–60', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(levelOfSeverity), ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'])
  assert.deepEqual([10, 20, 30, 40, 50, 60, 35].map(levelOfNumber), ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'INFO'])
  assert.equal(levelOfNumber(8), null)
  assert.equal(levelOfSeverity(9), null)
})

test('a line without a level field gets the first upper-case level word in it', () => {
  assert.equal(levelWordIn('x ERROR y WARN'), 'ERROR')
  assert.equal(levelWordIn('a WARNING here'), 'WARN')
  assert.equal(levelWordIn('an error in lower case'), null)
})
