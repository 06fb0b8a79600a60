/**
 * Validates HTTP requests and responses against an OpenAPI 3.0 document with
 * Ajv: the operation is found by method and path, then its path and query
 * parameters, its JSON body, and the JSON body of its response for the status
 * are checked against the document's own schemas (with their `$ref`s).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Ajv as AjvClass, ValidateFunction, ErrorObject } from 'ajv'
import type { FormatsPlugin } from 'ajv-formats'

// Both packages are CommonJS with a default export; require gives the same object to tsx and tsc.
const require = createRequire(import.meta.url)
const Ajv = (require('ajv') as { default: typeof AjvClass }).default
const addFormats = (require('ajv-formats') as { default: FormatsPlugin }).default

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Record<string, unknown>
}

interface Operation {
  readonly method: string
  readonly template: string
  readonly pattern: RegExp
  readonly pathNames: string[]
  readonly parameters: Parameter[]
  readonly pointer: string
  readonly hasBody: boolean
  readonly bodyRequired: boolean
  readonly responses: Record<string, boolean>
}

export interface Problem {
  readonly where: string
  readonly message: string
}

const pointerOf = (...segments: string[]) => `#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ')
}

export class OpenApiValidator {
  readonly #ajv
  readonly #operations: Operation[] = []
  readonly #compiled = new Map<string, ValidateFunction>()

  constructor(documentPath: string) {
    const doc = JSON.parse(readFileSync(documentPath, 'utf8')) as { paths: Record<string, Record<string, Record<string, unknown>>> }
    this.#ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, discriminator: false })
    addFormats(this.#ajv)
    const nonNegativeInt = { type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= 0 }
    for (const f of ['uint64', 'uint32', 'uint16', 'uint8', 'uint', 'usize']) this.#ajv.addFormat(f, nonNegativeInt)
    this.#ajv.addFormat('int', { type: 'number', validate: (n: number) => Number.isInteger(n) })
    this.#ajv.addFormat('partial-date-time', true)
    this.#ajv.addSchema(nullableToJsonSchema(doc) as never, 'openapi')
    for (const [template, methods] of Object.entries(doc.paths)) {
      const pathNames: string[] = []
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (pathNames.push(name), '([^/]+)'))}$`)
      for (const [method, op] of Object.entries(methods)) {
        const body = op.requestBody as { required?: boolean; content?: Record<string, unknown> } | undefined
        this.#operations.push({
          method: method.toUpperCase(),
          template,
          pattern,
          pathNames,
          parameters: (op.parameters as Parameter[] | undefined) ?? [],
          pointer: pointerOf('paths', template, method),
          hasBody: Boolean(body?.content?.['application/json']),
          bodyRequired: Boolean(body?.required),
          responses: Object.fromEntries(Object.keys((op.responses as object) ?? {}).map((k) => [k, true])),
        })
      }
    }
  }

  #validator(pointer: string): ValidateFunction {
    let v = this.#compiled.get(pointer)
    if (!v) {
      v = this.#ajv.getSchema(`openapi${pointer}`)
      if (!v) throw new Error(`no schema at ${pointer}`)
      this.#compiled.set(pointer, v)
    }
    return v
  }

  /** The operation a request is for, with its path parameters, or null if the document has none. */
  match(method: string, path: string): { op: Operation; params: Record<string, string> } | null {
    for (const op of this.#operations) {
      if (op.method !== method) continue
      const m = op.pattern.exec(path)
      if (m) return { op, params: Object.fromEntries(op.pathNames.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) }
    }
    return null
  }

  /** Problems with a request: parameters and body. */
  checkRequest(op: Operation, params: Record<string, string>, query: URLSearchParams, body: unknown): Problem[] {
    const problems: Problem[] = []
    op.parameters.forEach((p, i) => {
      const raw = p.in === 'path' ? params[p.name] : p.in === 'query' ? query.get(p.name) ?? undefined : undefined
      if (raw === undefined) {
        if (p.required && p.in !== 'header') problems.push({ where: `${p.in} ${p.name}`, message: 'is required' })
        return
      }
      const value = coerceParam(raw, p.schema)
      const v = this.#validator(`${op.pointer}/parameters/${i}/schema`)
      if (!v(value)) problems.push({ where: `${p.in} ${p.name}`, message: describe(v.errors) })
    })
    if (op.hasBody) {
      if (body === undefined) {
        if (op.bodyRequired) problems.push({ where: 'body', message: 'is required' })
      } else {
        const v = this.#validator(`${op.pointer}/requestBody/content/application~1json/schema`)
        if (!v(body)) problems.push({ where: 'body', message: describe(v.errors) })
      }
    }
    return problems
  }

  /** Problems with a response body for its status. */
  checkResponse(op: Operation, status: number, body: unknown): Problem[] {
    const key = op.responses[String(status)] ? String(status) : status >= 400 && status < 500 && op.responses['4XX'] ? '4XX' : 'default'
    if (!op.responses[key]) return [{ where: 'response', message: `status ${status} is not documented` }]
    const v = this.#validator(`${op.pointer}/responses/${key}/content/application~1json/schema`)
    return v(body) ? [] : [{ where: `response ${status}`, message: describe(v.errors) }]
  }
}

/**
 * OpenAPI 3.0 writes "may be null" as `nullable: true`, also beside no `type`
 * (`anyOf: [{$ref}, {nullable: true}]`); JSON Schema says `type: 'null'`.
 */
function nullableToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema)
  if (!node || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) out[k] = nullableToJsonSchema(v)
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable
    const rest = Object.keys(out).filter((k) => !['description', 'default', 'example', 'title'].includes(k))
    return rest.length === 0 ? { type: 'null' } : { anyOf: [out, { type: 'null' }] }
  }
  return out
}

function coerceParam(raw: string, schema: Record<string, unknown>): unknown {
  const type = schema.type
  if (type === 'integer' || type === 'number') return raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw
  return raw
}
