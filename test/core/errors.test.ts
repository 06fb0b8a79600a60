import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { AbortedError, CheckpointError, ConfigError, EmbeddingShapeError, ERROR_CODES, HttpError, LogstreamError, exitCodeFor, type ErrorCode } from '../../core/errors.ts'
import { ROOT } from '../helpers/cli.ts'

test('one family: every error class is a LogstreamError with a listed code, its exit code and retryability', () => {
  const errors = [new ConfigError([{ field: 'dim', message: 'bad' }]), new CheckpointError('CHECKPOINT_CORRUPT', 'x'), new EmbeddingShapeError('x'), new AbortedError(), new HttpError('TOO_LARGE', 'x')]
  for (const err of errors) {
    assert.ok(err instanceof LogstreamError, err.name)
    assert.ok(err.code in ERROR_CODES, err.code)
    assert.equal(err.exitCode, ERROR_CODES[err.code].exit)
    assert.equal(err.retryable, ERROR_CODES[err.code].retryable)
  }
  assert.equal(new HttpError('TOO_LARGE', 'x').status, 413)
  assert.equal(new HttpError('UNSUPPORTED_MEDIA_TYPE', 'x').status, 415)
})

test('exit codes: 2 for configuration and usage, 3 for a store, checkpoint or dimension that belongs elsewhere, 1 for the rest', () => {
  assert.equal(exitCodeFor(new LogstreamError('CONFIG_INVALID', 'x')), 2)
  assert.equal(exitCodeFor(new LogstreamError('USAGE', 'x')), 2)
  for (const code of ['CHECKPOINT_MISMATCH', 'CHECKPOINT_CORRUPT', 'COLLECTION_MISMATCH', 'DIMENSION_MISMATCH'] as const) assert.equal(exitCodeFor(new LogstreamError(code, 'x')), 3, code)
  assert.equal(exitCodeFor(new LogstreamError('STORE_UNAVAILABLE', 'x')), 1)
  assert.equal(exitCodeFor(new Error('plain')), 1)
  assert.equal(exitCodeFor(Object.assign(new Error('x'), { code: 'toString' })), 1, 'only listed codes count')
  assert.equal(new LogstreamError('KAFKA_FAILED', 'x', { retryable: false }).retryable, false, 'a use may say retrying cannot help')
})

test('every listed code is used somewhere outside the list', () => {
  const sources: string[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory()) walk(path)
      else if (path.endsWith('.ts') && path !== join('core', 'errors.ts')) sources.push(readFileSync(join(ROOT, path), 'utf8'))
    }
  }
  for (const dir of ['core', 'src', 'operators', 'checkpoints']) walk(dir)
  const all = sources.join('\n')
  const classes: Partial<Record<ErrorCode, string>> = { CONFIG_INVALID: 'ConfigError', ABORTED: 'AbortedError', EMBEDDER_BAD_RESPONSE: 'EmbeddingShapeError' }
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) assert.ok(all.includes(`'${code}'`) || (classes[code] !== undefined && all.includes(classes[code])), `${code} is never used: remove it`)
})
