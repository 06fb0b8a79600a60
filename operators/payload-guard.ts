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

// A high surrogate not followed by a low one, or a low one not after a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * The first reason a parsed JSON message cannot be stored as it is, or null.
 *
 * @example
 * payloadProblem(JSON.parse('{"text":"x","n":1e400}'))  // → { reason: 'number-out-of-range', detail: '…' }
 */
export function payloadProblem(message: unknown): { reason: DeadLetterReason; detail: string } | null {
  const stack: Array<[value: unknown, depth: number, path: string]> = [[message, 1, '']]
  let fields = 0
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return { reason: 'invalid-unicode', detail: `a string at ${path || 'the top'} holds a lone UTF-16 surrogate (an escape that is not a character)` }
      continue
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { reason: 'number-out-of-range', detail: `the number at ${path} is beyond what JSON can carry (it parsed to ${value})` }
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth > MAX_DEPTH) return { reason: 'too-deep', detail: `nested more than ${MAX_DEPTH} levels deep at ${path}` }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], depth + 1, `${path}[${i}]`])
      continue
    }
    const keys = Object.keys(value)
    fields += keys.length
    if (fields > MAX_FIELDS) return { reason: 'too-many-fields', detail: `more than ${MAX_FIELDS} fields` }
    for (const key of keys) {
      if (LONE_SURROGATE.test(key)) return { reason: 'invalid-unicode', detail: `a field name at ${path || 'the top'} holds a lone UTF-16 surrogate` }
      stack.push([(value as Record<string, unknown>)[key], depth + 1, path ? `${path}.${key}` : key])
    }
  }
  return null
}
