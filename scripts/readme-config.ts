/**
 * Rewrites the generated tables of README.md — configuration fields (from the
 * schema) and error codes (from `core/errors.ts`):
 * `node --import tsx scripts/readme-config.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { configMarkdownTable } from '../src/config-docs.ts'
import { errorCodesMarkdownTable } from '../core/errors.ts'

function withTable(readme: string, name: string, table: string): string {
  const start = `<!-- ${name}:start -->`
  const a = readme.indexOf(start)
  const b = readme.indexOf(`<!-- ${name}:end -->`)
  if (a === -1 || b < a) throw new Error(`README.md has no ${name} markers`)
  return `${readme.slice(0, a + start.length)}\n${table}\n${readme.slice(b)}`
}

/** The README with both generated tables as the code defines them. */
export function withConfigTable(readme: string): string {
  return withTable(withTable(readme, 'config', configMarkdownTable()), 'errors', errorCodesMarkdownTable())
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url)
  writeFileSync(path, withConfigTable(readFileSync(path, 'utf8')))
}
