/**
 * Every named format, table-driven: real lines it must read (from the LogHub
 * samples, the RFCs, and the projects' own documentation) with the fields it
 * must read from them, and lines that break it, which it must refuse. Then,
 * over all those lines: auto-detection picks the format each belongs to, and
 * no line is read by two formats (so detecting line by line gives what
 * detecting once per source would).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FORMATS, readTextLine, resolveLineFormat, AUTO } from '../../../operators/formats/index.ts'
import type { ParsedLine } from '../../../operators/formats/types.ts'
import type { TimeContext } from '../../../operators/formats/time.ts'

/** Lines without a year are read as of 15 January 2026. */
const ctx: TimeContext = { referenceMs: () => Date.UTC(2026, 0, 15, 12) }

interface Case {
  readonly line: string
  /** Fields the format must read (others are not checked). */
  readonly expect: Partial<ParsedLine>
}

const TABLE: Record<string, { reads: Case[]; breaks: string[] }> = {
  hdfs: {
    reads: [
      {
        line: '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
        expect: { text: 'PacketResponder 1 for block blk_38865049064139660 terminating', timestamp: '2008-11-09T20:36:15.000', level: 'INFO', pid: '148', component: 'dfs.DataNode$PacketResponder', source: 'hdfs_datanode', nodeType: 'datanode' },
      },
      { line: '081109 204005 35 WARN dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated', expect: { level: 'WARN', nodeType: 'namenode', pid: '35' } },
    ],
    breaks: ['081399 203615 148 INFO dfs.X: month 13', '081109 203615 148 INFO dfs.X: ', '081109 203615 INFO dfs.X: no pid'],
  },
  bgl: {
    reads: [
      {
        line: '- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected',
        expect: { text: 'instruction cache parity error corrected', timestamp: '2005-06-03T15:42:50.675872', level: 'INFO', host: 'R02-M1-N0-C:J12-U11', component: 'KERNEL', label: undefined, fields: { type: 'RAS' } },
      },
      {
        line: 'APPREAD 1117869872 2005.06.04 R04-M1-N4-I:J18-U11 2005-06-04-00.24.32.432192 R04-M1-N4-I:J18-U11 RAS APP FATAL ciod: failed to read message prefix on control stream (CioStream socket to 172.16.96.116:33569',
        expect: { level: 'FATAL', label: 'APPREAD', component: 'APP', text: 'ciod: failed to read message prefix on control stream (CioStream socket to 172.16.96.116:33569' },
      },
    ],
    breaks: ['- 11178385 2005.06.03 R02 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO short epoch', '- 1117838570 2005.06.03 R02 2005-13-03-15.42.50.675872 R02 RAS KERNEL INFO month 13'],
  },
  thunderbird: {
    reads: [
      {
        line: '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root',
        expect: { text: 'session closed for user root', timestamp: '2005-11-09T12:01:01.000', host: 'dn228', component: 'crond(pam_unix)', pid: '2915', fields: { location: 'dn228/dn228' } },
      },
      {
        line: '- 1131566461 2005.11.09 tbird-admin1 Nov 9 12:01:01 local@tbird-admin1 /apps/x86_64/system/ganglia-3.0.1/sbin/gmetad[1682]: data_thread() got not answer from any [Thunderbird_A8] datasource',
        expect: { component: '/apps/x86_64/system/ganglia-3.0.1/sbin/gmetad', pid: '1682', text: 'data_thread() got not answer from any [Thunderbird_A8] datasource' },
      },
    ],
    breaks: ['- 1131566461 2005.11.09 dn228 Foo 9 12:01:01 dn228/dn228 crond[2915]: bad month'],
  },
  openstack: {
    reads: [
      {
        line: 'nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
        expect: {
          text: '10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
          timestamp: '2017-05-16T00:00:00.008',
          pid: '25746',
          level: 'INFO',
          component: 'nova.osapi_compute.wsgi.server',
        },
      },
      {
        line: 'nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 INFO nova.compute.manager [req-3ea4052c-895d-4b64-9e2d-04d64c4d94ab - - - - -] [instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)',
        expect: { text: '[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)', fields: { context: 'req-3ea4052c-895d-4b64-9e2d-04d64c4d94ab - - - - -', log_file: 'nova-compute.log.1.2017-05-16_13:55:31', request_id: 'req-3ea4052c-895d-4b64-9e2d-04d64c4d94ab' } },
      },
    ],
    breaks: ['2017-05-16 00:00:04.500 2931 INFO nova.compute.manager no request context'],
  },
  log4j: {
    reads: [
      {
        line: '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001',
        expect: { text: 'Created MRAppMaster for application appattempt_1445144423722_0020_000001', timestamp: '2015-10-18T18:01:47.978', level: 'INFO', component: 'org.apache.hadoop.mapreduce.v2.app.MRAppMaster', fields: { thread: 'main' } },
      },
      { line: '2015-10-18 18:04:11,034 ERROR [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator: Container complete event for unknown container id container_1445144423722_0020_01_000012', expect: { level: 'ERROR', fields: { thread: 'RMCommunicator Allocator' } } },
      {
        line: '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200',
        expect: { text: 'Notification time out: 3200', timestamp: '2015-07-29T17:41:44.747', level: 'INFO', component: 'FastLeaderElection', fields: { thread: 'QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181', line: '774' } },
      },
      {
        line: '17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]',
        expect: { text: 'Registered signal handlers for [TERM, HUP, INT]', timestamp: '2017-06-09T20:10:40.000', level: 'INFO', component: 'executor.CoarseGrainedExecutorBackend' },
      },
      {
        // Spring Boot's documented console layout.
        line: '2024-08-22T16:17:54.321+02:00  INFO 38915 --- [myapp] [           main] o.s.b.d.f.logexample.MyApplication      : Starting MyApplication using Java 17.0.12 with PID 38915',
        expect: { text: 'Starting MyApplication using Java 17.0.12 with PID 38915', timestamp: '2024-08-22T16:17:54.321+02:00', level: 'INFO', pid: '38915', component: 'o.s.b.d.f.logexample.MyApplication', fields: { thread: 'main' } },
      },
      { line: '2024-01-15 10:23:45.123 [main] WARN  com.example.App - Slow response from the database', expect: { level: 'WARN', component: 'com.example.App', text: 'Slow response from the database', fields: { thread: 'main' } } },
      // Python's logging HOWTO, format '%(asctime)s - %(name)s - %(levelname)s - %(message)s'.
      { line: '2005-03-19 15:10:26,618 - simple_example - DEBUG - debug message', expect: { text: 'debug message', timestamp: '2005-03-19T15:10:26.618', level: 'DEBUG', component: 'simple_example' } },
    ],
    breaks: ['2015-10-18 18:01:47,978 CHATTY [main] org.x.Y: unknown level', '2015-13-18 18:01:47,978 INFO [main] org.x.Y: month 13', '2015-10-18 18:01:47,978 INFO [main] org.x.Y: '],
  },
  'nginx-error': {
    reads: [
      {
        line: '2016/09/23 13:14:15 [error] 1234#1234: *5 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.1, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost"',
        expect: { timestamp: '2016-09-23T13:14:15.000', level: 'error', pid: '1234', fields: { tid: '1234', connection: '5' } },
      },
    ],
    breaks: ['2016/09/23 13:14:15 [loud] 1234#1234: unknown level'],
  },
  syslog: {
    reads: [
      {
        line: 'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4',
        expect: { text: 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4', timestamp: '2025-06-14T15:16:01.000', host: 'combo', component: 'sshd(pam_unix)', pid: '19939', level: undefined },
      },
      { line: 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186', expect: { timestamp: '2025-12-10T06:55:46.000', host: 'LabSZ', component: 'sshd', pid: '24200' } },
      { line: 'Jun 19 04:09:11 combo syslogd 1.4.1: restart.', expect: { component: 'syslogd 1.4.1', text: 'restart.', pid: undefined } },
      { line: 'Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2', expect: { component: '-- root', pid: '2421', text: 'ROOT LOGIN ON tty2' } },
      { line: 'Jan 10 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback - Thunderbolt HPD packet for route = 0x0 port = 11 unplug = 0', expect: { timestamp: '2026-01-10T09:00:55.000', host: 'calvisitor-10-105-160-95', component: 'kernel', pid: '0' } },
      // RFC 3164 section 5.4 and RFC 5424 section 6.5.
      { line: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", expect: { text: "'su root' failed for lonvick on /dev/pts/8", level: 'FATAL', host: 'mymachine', component: 'su', fields: { facility: '4' } } },
      {
        line: "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
        expect: { text: "'su root' failed for lonvick on /dev/pts/8", timestamp: '2003-10-11T22:14:15.003Z', level: 'FATAL', host: 'mymachine.example.com', component: 'su', pid: undefined, fields: { facility: '4', msgid: 'ID47' } },
      },
      { line: "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", expect: { timestamp: '2003-08-24T05:14:15.000003-07:00', level: 'INFO', pid: '8710', component: 'myproc', text: "%% It's time to make the do-nuts." } },
      {
        line: '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...',
        expect: { text: 'An application event log entry...', fields: { facility: '20', msgid: 'ID47', structured_data: '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]' } },
      },
    ],
    breaks: ['Foo 14 15:16:01 combo sshd[1]: not a month', 'Jun 31 15:16:01 combo sshd[1]: June has 30 days', '<999>1 2003-10-11T22:14:15.003Z host app - - - priority out of range', 'Jun 14 15:16:01 combo'],
  },
  'apache-error': {
    reads: [
      { line: '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties', expect: { text: 'workerEnv.init() ok /etc/httpd/conf/workers2.properties', timestamp: '2005-12-04T04:47:44.000', level: 'notice' } },
      { line: '[Thu Jun 09 07:11:21 2005] [error] [client 204.100.200.22] Directory index forbidden by rule: /var/www/html/', expect: { text: '[client 204.100.200.22] Directory index forbidden by rule: /var/www/html/', level: 'error', fields: { client: '204.100.200.22' } } },
      // Apache 2.4's documented error log layout.
      {
        line: '[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico',
        expect: { timestamp: '2011-09-09T10:42:29.902022', level: 'error', pid: '35708', component: 'core', fields: { module: 'core', tid: '4328636416', client: '72.15.99.187' } },
      },
    ],
    breaks: ['[Sun Dec 04 04:47:44 2005] [loud] unknown level', '[Sun Foo 04 04:47:44 2005] [notice] bad month', '[Sun Dec 04 04:47:44 2005] [notice] '],
  },
  'access-log': {
    reads: [
      {
        line: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
        expect: {
          text: '"GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
          timestamp: '2000-10-10T13:55:36.000-07:00',
          level: 'INFO',
          host: '127.0.0.1',
          fields: { request: 'GET /apache_pb.gif HTTP/1.0', status: '200', bytes: '2326', user: 'frank', referer: 'http://www.example.com/start.html', user_agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)' },
        },
      },
      { line: '10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /missing HTTP/1.1" 404 -', expect: { level: 'WARN', fields: { request: 'GET /missing HTTP/1.1', status: '404', bytes: '-' } } },
    ],
    breaks: ['127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" abc 1', '127.0.0.1 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1'],
  },
  hpc: {
    reads: [
      {
        line: '134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \\042SCSI-WWID:01000010:6005-08b4-0001-00c6-0006-3000-003d-0000\\042 is in the unavailable state (HWID=1973)',
        expect: { host: 'node-246', component: 'unix.hw', timestamp: '2004-02-26T14:12:22.000Z', fields: { logid: '134681', state: 'state_change.unavailable', flag: '1' } },
      },
    ],
    breaks: ['134681 node-246 unix.hw state_change.unavailable 107780 1 short epoch'],
  },
  'windows-cbs': {
    reads: [
      {
        line: '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.23505_none_681aa442f6fed7f0\\cbscore.dll',
        expect: { timestamp: '2016-09-28T04:30:30.000', level: 'Info', component: 'CBS' },
      },
    ],
    breaks: ['2016-09-28 04:30:30 Info CBS no comma after the time'],
  },
  android: {
    reads: [
      {
        line: '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d u0 com.tencent.qt.qtl/.activity.info.NewsDetailXmlActivity t761}}}, allDrawn= false, startingDisplayed =  false, startingMoved =  false, isRelaunching =  false',
        expect: { timestamp: '2025-03-17T16:13:38.811', level: 'D', pid: '1702', component: 'WindowManager', fields: { tid: '2395' } },
      },
      { line: '03-17 16:13:38.935  1702  3697 W ActivityManager: getRunningAppProcesses: caller 10113 does not hold REAL_GET_TASKS; limiting output', expect: { level: 'W', text: 'getRunningAppProcesses: caller 10113 does not hold REAL_GET_TASKS; limiting output' } },
    ],
    breaks: ['03-17 16:13:38.811  1702  2395 DEBUG WindowManager: a word for a level'],
  },
  healthapp: {
    reads: [{ line: '20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579', expect: { text: 'onStandStepChanged 3579', timestamp: '2017-12-23T22:15:29.606', component: 'Step_LSC', pid: '30002312' } }],
    breaks: ['20171223-22:15:29:606|Step_LSC|not-a-pid|x'],
  },
  proxifier: {
    reads: [{ line: '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', expect: { text: 'proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', timestamp: '2025-10-30T16:49:06.000', component: 'chrome.exe' } }],
    breaks: ['[13.30 16:49:06] chrome.exe - month 13'],
  },
  logfmt: {
    reads: [
      // logrus's README; Heroku's router.
      {
        line: 'time="2015-03-26T01:27:38-04:00" level=debug msg="Started observing beach" animal=walrus number=8',
        expect: { text: 'Started observing beach', timestamp: '2015-03-26T01:27:38.000-04:00', level: 'debug', fields: { animal: 'walrus', number: '8' } },
      },
      {
        line: 'at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https',
        expect: { level: 'info', host: 'myapp.herokuapp.com', text: 'method=GET path=/ request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd=204.204.204.204 dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https' },
      },
    ],
    breaks: ['msg=hello world', 'a=1 b=2', 'level=info'],
  },
}

test('the table covers every named format', () => {
  assert.deepEqual(Object.keys(TABLE).sort(), FORMATS.map((f) => f.name).sort())
})

for (const format of FORMATS) {
  const { reads, breaks } = TABLE[format.name]!
  test(`${format.name}: reads its lines, field by field`, () => {
    for (const { line, expect } of [...reads, { line: format.example, expect: {} }]) {
      const parsed = format.parse(line, ctx)
      assert.ok(parsed, `${format.name} reads ${line}`)
      for (const [key, want] of Object.entries(expect)) assert.deepEqual(parsed[key as keyof ParsedLine], want, `${key} of ${line}`)
      assert.ok(parsed.text.length > 0)
    }
  })
  test(`${format.name}: refuses lines that break it`, () => {
    for (const line of breaks) assert.equal(format.parse(line, ctx), null, `${format.name} refuses ${line}`)
  })
}

test('auto-detection reads each line by its own format, and no line is read by two formats', () => {
  for (const [name, { reads }] of Object.entries(TABLE)) {
    for (const { line } of reads) {
      assert.equal(readTextLine(line, AUTO, ctx)?.format, name, line)
      const readers = FORMATS.filter((f) => f.parse(line, ctx) !== null).map((f) => f.name)
      assert.deepEqual(readers, [name], `only ${name} reads ${line}`)
    }
  }
})

test('lines in no format are read by none', () => {
  for (const line of ['hello world', 'ERROR something happened at 10:00', '2024-01-01 something ERROR happened', '[INFO] building module x', 'x=1 y', '- - -']) {
    assert.equal(readTextLine(line, AUTO, ctx), null, line)
  }
})

test('--log-format names a format by name or alias, any case; a forced format reads only its own lines', () => {
  assert.deepEqual(resolveLineFormat('auto'), AUTO)
  assert.deepEqual(resolveLineFormat('JSON'), { kind: 'json' })
  for (const [alias, name] of [['Zookeeper', 'log4j'], ['linux', 'syslog'], ['OpenSSH', 'syslog'], ['apache', 'apache-error'], ['OpenStack', 'openstack'], ['nginx', 'nginx-error']]) {
    const spec = resolveLineFormat(alias!)
    assert.ok(spec.kind === 'format' && spec.format.name === name, alias)
  }
  const syslogOnly = resolveLineFormat('syslog')
  assert.equal(readTextLine('081109 203615 148 INFO dfs.X: an HDFS line', syslogOnly, ctx), null)
  assert.throws(() => resolveLineFormat('klingon'), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /unknown log format "klingon"/.test(err.message))
})
