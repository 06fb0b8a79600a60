/**
 * Web servers: Apache's error log (2.2 and 2.4 layouts), the access log both
 * Apache and nginx write (Common and Combined Log Format), and nginx's error log.
 */
import { parseTimestamp } from './time.ts'
import type { LineFormat } from './types.ts'

// [Sun Dec 04 04:47:44 2005] [notice] … · [Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] …
const APACHE_ERROR = /^\[((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [^\]]+)\] \[(?:([\w-]+):)?(emerg|alert|crit|error|warn|notice|info|debug|trace\d)\] (?:\[pid (\d+)(?::tid (\d+))?\] )?(.*)$/
const CLIENT = /^\[client ([^\]]+)\]/

export const apacheError: LineFormat = {
  name: 'apache-error',
  aliases: ['apache'],
  description: 'Apache httpd error log: [time] [module:level] [pid N:tid M] [client addr] message',
  example: '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties',
  parse(line, ctx) {
    const m = APACHE_ERROR.exec(line)
    if (!m || m[6]!.trim() === '') return null
    const timestamp = parseTimestamp(m[1]!, ctx)
    if (!timestamp) return null
    const fields: Record<string, string> = {}
    if (m[2]) fields.module = m[2]
    if (m[5]) fields.tid = m[5]
    const client = CLIENT.exec(m[6]!)?.[1]
    if (client) fields.client = client
    // The message keeps `[client …]`: it is how Apache 2.2 writes the message, and what LogHub's templates match.
    return { text: m[6]!.trim(), timestamp, level: m[3], pid: m[4], component: m[2], fields }
  },
}

// host ident user [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 ["referer" "user agent"]
const ACCESS = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(.*)$/

export const accessLog: LineFormat = {
  name: 'access-log',
  aliases: ['apache-access', 'nginx-access', 'clf', 'combined'],
  description: 'Apache / nginx access log, Common or Combined Log Format; the level follows the status (5xx ERROR, 4xx WARN)',
  example: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
  parse(line, ctx) {
    const m = ACCESS.exec(line)
    if (!m) return null
    const timestamp = parseTimestamp(m[4]!, ctx)
    if (!timestamp) return null
    const status = Number(m[6])
    const fields: Record<string, string> = { request: m[5]!, status: m[6]!, bytes: m[7]! }
    if (m[3] !== '-') fields.user = m[3]!
    if (m[8] !== undefined) fields.referer = m[8]
    if (m[9] !== undefined) fields.user_agent = m[9]
    return {
      text: line.slice(line.indexOf('] ') + 2).trim(),
      timestamp,
      level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO',
      host: m[1],
      fields,
    }
  },
}

// 2016/09/23 13:14:15 [error] 1234#1234: *5 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: …
const NGINX_ERROR = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) \[(emerg|alert|crit|error|warn|notice|info|debug)\] (\d+)#(\d+): (?:\*(\d+) )?(.*)$/

export const nginxError: LineFormat = {
  name: 'nginx-error',
  aliases: ['nginx'],
  description: 'nginx error log: yyyy/MM/dd HH:mm:ss [level] pid#tid: *connection message',
  example: '2016/09/23 13:14:15 [error] 1234#1234: *5 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.1, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost"',
  parse(line, ctx) {
    const m = NGINX_ERROR.exec(line)
    if (!m || m[6]!.trim() === '') return null
    const timestamp = parseTimestamp(m[1]!, ctx)
    if (!timestamp) return null
    const fields: Record<string, string> = { tid: m[4]! }
    if (m[5]) fields.connection = m[5]
    return { text: m[6]!.trim(), timestamp, level: m[2], pid: m[3], fields }
  },
}
