import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inferYear, isoOf, parseTimestamp, type TimeContext } from '../../../operators/formats/time.ts'

const at = (iso: string): TimeContext => ({ referenceMs: () => Date.parse(iso) })
const ctx = at('2026-01-15T12:00:00Z')

test('the shapes logs write become ISO text: date, time, at least milliseconds, the zone only where written', () => {
  const cases: Array<[string, string]> = [
    ['2015-10-18 18:01:47,978', '2015-10-18T18:01:47.978'],
    ['2017-05-16 00:00:00.008', '2017-05-16T00:00:00.008'],
    ['2024-08-22T16:17:54.321+02:00', '2024-08-22T16:17:54.321+02:00'],
    ['2003-10-11T22:14:15.003Z', '2003-10-11T22:14:15.003Z'],
    ['2003-08-24T05:14:15.000003-07:00', '2003-08-24T05:14:15.000003-07:00'],
    ['2005-06-03-15.42.50.675872', '2005-06-03T15:42:50.675872'],
    ['2016/09/23 13:14:15', '2016-09-23T13:14:15.000'],
    ['2024-01-15', '2024-01-15T00:00:00.000'],
    ['17/06/09 20:10:40', '2017-06-09T20:10:40.000'],
    ['081109 203615', '2008-11-09T20:36:15.000'],
    ['Sun Dec 04 04:47:44 2005', '2005-12-04T04:47:44.000'],
    ['Fri Sep 09 10:42:29.902022 2011', '2011-09-09T10:42:29.902022'],
    ['10/Oct/2000:13:55:36 -0700', '2000-10-10T13:55:36.000-07:00'],
    ['20171223-22:15:29:606', '2017-12-23T22:15:29.606'],
    ['20171223-22:15:29:66', '2017-12-23T22:15:29.066'],
    ['1117838570', '2005-06-03T22:42:50.000Z'],
    ['1531171074631', '2018-07-09T21:17:54.631Z'],
  ]
  for (const [text, iso] of cases) assert.equal(parseTimestamp(text, ctx), iso, text)
})

test('a date without a year gets the year that puts it at most two days after the reference time', () => {
  // Read on 15 January 2026: a December line is last year's, a January one this year's.
  assert.equal(parseTimestamp('Dec 10 06:55:46', ctx), '2025-12-10T06:55:46.000')
  assert.equal(parseTimestamp('Jan 15 11:00:00', ctx), '2026-01-15T11:00:00.000')
  assert.equal(parseTimestamp('Jan 17 11:00:00', ctx), '2026-01-17T11:00:00.000', 'two days of clock skew or time zone are allowed')
  assert.equal(parseTimestamp('Jan 18 11:00:00', ctx), '2025-01-18T11:00:00.000')
  assert.equal(parseTimestamp('03-17 16:13:38.811', ctx), '2025-03-17T16:13:38.811')
  assert.equal(parseTimestamp('10.30 16:49:06', ctx), '2025-10-30T16:49:06.000')
  // The same line read again later in the same year gets the same year: a replay keeps its id.
  assert.equal(parseTimestamp('Dec 10 06:55:46', at('2026-06-01T00:00:00Z')), '2025-12-10T06:55:46.000')
  assert.equal(inferYear(2, 29, at('2024-03-01T00:00:00Z')), 2024)
})

test('values out of range and other text are not timestamps', () => {
  for (const text of ['2015-13-18 18:01:47', '2015-02-30 00:00:00', 'Jun 31 10:00:00', 'Foo 14 15:16:01', '2015-10-18 24:00:00', 'yesterday', '12345', '']) {
    assert.equal(parseTimestamp(text, ctx), null, text)
  }
  assert.equal(isoOf(2024, 2, 29, 0, 0, 0), '2024-02-29T00:00:00.000')
  assert.equal(isoOf(2023, 2, 29, 0, 0, 0), null)
})
