/**
 * The one secrets policy: which names hold secrets, and how values are masked
 * wherever configuration or facts are shown — `logstream config`, the status
 * page's `/status.json` and every log line. Imports nothing, like the errors.
 */

/** What a masked value reads as. */
export const MASK = '***'

// A name is split into words (dots, dashes, underscores, camelCase); these words mark a secret.
const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'secret', 'token', 'credential', 'credentials', 'apikey', 'authorization', 'cookie', 'jaas'])
// `key` marks a secret (`apiKey`, `ssl.key.pem`) unless the name goes on to say it is about something else.
const KEY_ASIDES = new Set(['location', 'serializer', 'deserializer', 'converter', 'type', 'id', 'ids', 'field', 'fields', 'path', 'file'])

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
}

/**
 * True when a field or property name says its value is secret: a password,
 * secret, token, credential, API key or private key, a JAAS or SASL mechanism
 * configuration, an authorization header.
 *
 * @example
 * isSecret('sasl.password')         // true
 * isSecret('sasl.oauthbearer.config') // true (holds the client secret)
 * isSecret('ssl.key.pem')           // true
 * isSecret('embedder.apiKey')       // true
 * isSecret('key.serializer')        // false
 * isSecret('ssl.key.location')      // false (a file path)
 */
export function isSecret(name: string): boolean {
  const w = words(name)
  if (w.some((x) => SECRET_WORDS.has(x))) return true
  // sasl.jaas.config, sasl.oauthbearer.config: a mechanism's configuration carries its credentials.
  if (w[0] === 'sasl' && w.at(-1) === 'config') return true
  const key = w.lastIndexOf('key')
  // A bare `key` is a message's key, not a secret.
  if (key === -1 || w.length === 1) return false
  const after = w.slice(key + 1)
  return !after.some((x) => KEY_ASIDES.has(x))
}

// scheme://user:pass@host, scheme://token@host
const URL_USERINFO = /\b([a-z][a-z0-9+._-]*:\/\/)[^\s/?#@]+@/gi
// user:pass@host:9092 in a broker list, without a scheme (an e-mail address has no colon before its @)
const BARE_USERINFO = /(^|[\s,;=])[^\s,;=:/@]+:[^\s,;/@]+@(?=[\w.-])/g

/** Text with the credentials of every URL or broker address in it masked: `http://u:p@h` → `http://***@h`. */
export function maskCredentialsInText(text: string): string {
  if (!text.includes('@')) return text
  return text.replace(URL_USERINFO, `$1${MASK}@`).replace(BARE_USERINFO, `$1${MASK}@`)
}

/**
 * A copy of `value` safe to show: values under secret names become `***`
 * (empty ones stay empty, so "not set" still shows), credentials in URLs and
 * broker strings are masked, errors keep their class with masked messages.
 *
 * @example
 * maskSecrets({ url: 'http://u:p@h/embed', properties: { 'sasl.password': 'pw' } })
 * // { url: 'http://***@h/embed', properties: { 'sasl.password': '***' } }
 */
export function maskSecrets<T>(value: T): T {
  return mask(value, new WeakMap()) as T
}

function mask(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return maskCredentialsInText(value)
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return seen.get(value)
  if (Array.isArray(value)) {
    const out: unknown[] = []
    seen.set(value, out)
    for (const v of value) out.push(mask(v, seen))
    return out
  }
  if (value instanceof Error) return maskError(value, seen)
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof Date || value instanceof Map || value instanceof Set) return value
  const out: Record<string, unknown> = {}
  seen.set(value, out)
  for (const [k, v] of Object.entries(value)) out[k] = isSecret(k) && (typeof v === 'string' || typeof v === 'number') && v !== '' ? MASK : mask(v, seen)
  return out
}

function maskError(err: Error, seen: WeakMap<object, unknown>): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error
  seen.set(err, copy)
  for (const name of Object.getOwnPropertyNames(err)) {
    const desc = Object.getOwnPropertyDescriptor(err, name)!
    if (!('value' in desc)) continue
    const v: unknown = desc.value
    Object.defineProperty(copy, name, { ...desc, value: isSecret(name) && typeof v === 'string' && v !== '' ? MASK : mask(v, seen) })
  }
  return copy
}
