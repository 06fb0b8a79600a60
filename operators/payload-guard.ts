/**
 * Limits on a JSON message's shape, so every message that parses also becomes
 * a point every store takes: JSON.stringify of a payload nested thousands of
 * levels deep overflows the stack, Qdrant refuses nesting beyond serde_json's
 * limit and strings with lone surrogates, and JSON has no Infinity (1e400
 * parses to one, and would be stored as null). A message past a limit is
 * dead-lettered with a reason instead, its bytes kept whole.
 *
 * Walks the value without recursion, so a hostile depth costs no stack.
 */
import type { DeadLetterReason } from './contracts.ts'

/** Deepest nesting of objects and arrays kept (the message object is level 1). */
export const MAX_DEPTH = 32
/** Keys in all of a message's objects together. */
export const MAX_FIELDS = 1000

/** Whether a string holds a lone UTF-16 surrogate (`isWellFormed`, native since Node 20). */
const hasLoneSurrogate = (s: string): boolean => !(s as string & { isWellFormed(): boolean }).isWellFormed()

type Problem = { reason: DeadLetterReason; detail: string }

/** Whether a value that is not an object or array is one a store cannot take. */
const badScalar = (value: unknown): boolean => (typeof value === 'string' ? hasLoneSurrogate(value) : typeof value === 'number' && !Number.isFinite(value))

/** The problem of a value `badScalar` found, at `path`. */
function scalarProblem(value: unknown, path: string): Problem {
  if (typeof value === 'string') return { reason: 'invalid-unicode', detail: `a string at ${path || 'the top'} holds a lone UTF-16 surrogate (an escape that is not a character)` }
  return { reason: 'number-out-of-range', detail: `the number at ${path} is beyond what JSON can carry (it parsed to ${String(value)})` }
}

/**
 * The first reason a parsed JSON message cannot be stored as it is, or null.
 * Scalars are checked where they are met; only objects and arrays wait on the
 * stack, with their path (a message of strings allocates nothing here).
 *
 * @example
 * payloadProblem(JSON.parse('{"text":"x","n":1e400}'))  // → { reason: 'number-out-of-range', detail: '…' }
 */
export function payloadProblem(message: unknown): Problem | null {
  if (message === null || typeof message !== 'object') return badScalar(message) ? scalarProblem(message, '') : null
  const stack: Array<[value: object, depth: number, path: string]> = [[message, 1, '']]
  let fields = 0
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!
    if (depth > MAX_DEPTH) return { reason: 'too-deep', detail: `nested more than ${MAX_DEPTH} levels deep at ${path}` }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const item: unknown = value[i]
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1, `${path}[${i}]`])
        else if (badScalar(item)) return scalarProblem(item, `${path}[${i}]`)
      }
      continue
    }
    const keys = Object.keys(value)
    fields += keys.length
    if (fields > MAX_FIELDS) return { reason: 'too-many-fields', detail: `more than ${MAX_FIELDS} fields` }
    for (const key of keys) {
      if (hasLoneSurrogate(key)) return { reason: 'invalid-unicode', detail: `a field name at ${path || 'the top'} holds a lone UTF-16 surrogate` }
      const item: unknown = (value as Record<string, unknown>)[key]
      if (item !== null && typeof item === 'object') stack.push([item, depth + 1, path ? `${path}.${key}` : key])
      else if (badScalar(item)) return scalarProblem(item, path ? `${path}.${key}` : key)
    }
  }
  return null
}
