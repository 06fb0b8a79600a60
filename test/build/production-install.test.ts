/**
 * `bin/logstream.js` from a clean install of the production dependencies:
 * in a copy of the project (the worktree's own node_modules is never
 * touched), build, `npm prune --omit=dev`, then `--help` and the demo run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { ROOT, SAMPLE, parseLogLines } from '../helpers/cli.ts'
import { tempDir } from '../helpers/temp-dir.ts'

test('the CLI runs from a production install (no tsx): --help and the demo', (t) => {
  const copy = join(tempDir(t), 'logstream')
  mkdirSync(copy)
  // The project as it is now, without what is installed, built or run; then a real copy of node_modules (prune deletes from it).
  const skipped = new Set(['node_modules', '.git', 'dist', '.kafka', '.node24', '.logstream', '.tmp', '.data', 'bench-results'])
  cpSync(ROOT, copy, { recursive: true, filter: (src) => !skipped.has(relative(ROOT, src).split(sep)[0]!) })
  execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(copy, 'node_modules')])

  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: copy, stdio: 'pipe' })
  execFileSync('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: copy, stdio: 'pipe' })
  assert.ok(!existsSync(join(copy, 'node_modules/tsx')), 'tsx is a development dependency')

  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/logstream.js', ...args], { cwd: copy, encoding: 'utf8', env: { ...process.env, LOG_FORMAT: 'json' } })
  const help = cli(['--help'])
  assert.equal(help.status, 0, help.stderr)
  assert.match(help.stdout, /Commands:[\s\S]*serve-embeddings/)

  const dir = tempDir(t)
  const run = cli(['run', '--job', 'demo', '--source', `file:${SAMPLE}`, '--trigger', '1s', '--no-http', '--data-dir', dir, '--checkpoint-dir', join(dir, 'checkpoints')])
  assert.equal(run.status, 0, run.stderr)
  const summary = parseLogLines(run.stdout).find((l) => String(l.msg).startsWith('Job demo stopped'))
  assert.equal(summary?.stored, 2000, run.stdout.slice(-2000))
  const search = cli(['search', 'Got exception while serving block', '-k', '5', '--data-dir', dir])
  assert.equal(search.status, 0, search.stderr)
  assert.match(search.stdout, /Nearest 5 of the stored log lines/)
})
