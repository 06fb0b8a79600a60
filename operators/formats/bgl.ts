/**
 * Blue Gene/L and Thunderbird (LogHub's supercomputer logs): an alert label
 * ('-' for none), epoch seconds and date, then the node and the event.
 */
import { monthOf, parseTimestamp } from './time.ts'
import type { LineFormat } from './types.ts'

// <Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>
const BGL = /^(\S+) (\d{9,10}) (\d{4}\.\d\d\.\d\d) (\S+) (\d{4}-\d\d-\d\d-\d\d\.\d\d\.\d\d\.\d+) (\S+) ([A-Z_]+) ([A-Z_0-9]+) ([A-Z]+) (.*)$/

export const bgl: LineFormat = {
  name: 'bgl',
  description: 'Blue Gene/L RAS log: label epoch date node time node type component LEVEL message',
  example: '- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected',
  parse(line, ctx) {
    const m = BGL.exec(line)
    if (!m) return null
    const timestamp = parseTimestamp(m[5]!, ctx)
    if (!timestamp || m[10]!.trim() === '') return null
    return {
      text: m[10]!.trim(),
      timestamp,
      level: m[9],
      host: m[4],
      component: m[8],
      label: m[1] === '-' ? undefined : m[1],
      fields: { type: m[7]! },
    }
  },
}

// <Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>
const THUNDERBIRD = /^(\S+) (\d{9,10}) (\d{4})\.(\d\d)\.(\d\d) (\S+) ([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\S+) ([^\s[\]:]+(?:\([^)]*\))?)(?:\[(\d+)\])?: ?(.*)$/

export const thunderbird: LineFormat = {
  name: 'thunderbird',
  description: 'Thunderbird supercomputer log: label epoch date node, then a syslog line',
  example: '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root',
  parse(line, ctx) {
    const m = THUNDERBIRD.exec(line)
    // The syslog part repeats the month and day of the date before it.
    if (!m || m[13]!.trim() === '' || monthOf(m[7]!) !== Number(m[4]) || Number(m[8]) !== Number(m[5])) return null
    const timestamp = parseTimestamp(`${m[3]}-${m[4]}-${m[5]} ${m[9]}`, ctx)
    if (!timestamp) return null
    return { text: m[13]!.trim(), timestamp, host: m[6], component: m[11], pid: m[12], label: m[1] === '-' ? undefined : m[1], fields: { location: m[10]! } }
  },
}
