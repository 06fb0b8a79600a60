/**
 * OpenStack services (oslo.log's default format), optionally after the name of
 * the file the line came from, as LogHub's OpenStack set has it:
 * `[file] date time pid LEVEL logger [request context] message`.
 */
import { parseTimestamp } from './time.ts'
import type { LineFormat } from './types.ts'

const OSLO = /^(?:(\S+) )?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (\d+) (TRACE|DEBUG|INFO|AUDIT|WARNING|ERROR|CRITICAL) (\S+) \[([^\]]*)\] ?(.*)$/
const REQUEST_ID = /\breq-[0-9a-f-]{36}\b/

export const oslo: LineFormat = {
  name: 'openstack',
  aliases: ['oslo'],
  description: 'OpenStack (oslo.log): date time pid LEVEL logger [request context] message, optionally after a file name',
  example:
    'nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
  parse(line, ctx) {
    const m = OSLO.exec(line)
    if (!m || m[7]!.trim() === '') return null
    const timestamp = parseTimestamp(m[2]!, ctx)
    if (!timestamp) return null
    const fields: Record<string, string> = { context: m[6]! }
    if (m[1]) fields.log_file = m[1]
    const request = REQUEST_ID.exec(m[6]!)?.[0]
    if (request) fields.request_id = request
    return { text: m[7]!.trim(), timestamp, level: m[4], pid: m[3], component: m[5], fields }
  },
}
