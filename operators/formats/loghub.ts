/**
 * The LogHub formats that no family above covers, as LogPAI's benchmark
 * settings describe their headers (HPC, Windows CBS, Android logcat,
 * HealthApp, Proxifier). The other LogHub sets are read by `hdfs`, `bgl`,
 * `thunderbird`, `openstack`, `log4j` (Hadoop, Spark, ZooKeeper), `syslog`
 * (Linux, OpenSSH, Mac) and `apache-error` (Apache).
 */
import { compileTemplate } from './template.ts'
import type { LineFormat } from './types.ts'

export const hpc: LineFormat = compileTemplate('<LogId> <Node> <Component> <State> <Time> <Flag> <Content>', {
  name: 'hpc',
  patterns: { LogId: '\\d+', Time: '\\d{9,10}', Flag: '\\d+' },
  description: 'LogHub HPC: log id, node, component, state, epoch seconds, flag, message',
  example: '134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \\042SCSI-WWID:01000010:6005-08b4-0001-00c6-0006-3000-003d-0000\\042 is in the unavailable state (HWID=1973)',
})

export const windows: LineFormat = compileTemplate('<Date> <Time>, <Level> <Component> <Content>', {
  name: 'windows-cbs',
  patterns: { Date: '\\d{4}-\\d\\d-\\d\\d', Time: '\\d\\d:\\d\\d:\\d\\d', Level: '[A-Za-z]+', Component: '\\S+' },
  aliases: ['windows'],
  description: 'Windows CBS log (LogHub Windows): date time, Level component message',
  example: '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.23505_none_681aa442f6fed7f0\\cbscore.dll',
})

export const android: LineFormat = compileTemplate('<Date> <Time> <Pid> <Tid> <Level> <Component>: <Content>', {
  name: 'android',
  patterns: { Date: '\\d\\d-\\d\\d', Pid: '\\d+', Tid: '\\d+', Level: '[VDIWEFA]' },
  aliases: ['logcat'],
  description: 'Android logcat (threadtime): MM-dd time pid tid level tag: message',
  example: '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d u0 com.tencent.qt.qtl/.activity.info.NewsDetailXmlActivity t761}}}, allDrawn= false, startingDisplayed =  false, startingMoved =  false, isRelaunching =  false',
})

export const healthApp: LineFormat = compileTemplate('<Time>\\|<Component>\\|<Pid>\\|<Content>', {
  name: 'healthapp',
  patterns: { Time: '\\d{8}-[\\d:]+', Pid: '\\d+' },
  description: 'LogHub HealthApp: time|component|pid|message',
  example: '20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579',
})

export const proxifier: LineFormat = compileTemplate('\\[<Time>\\] <Program> - <Content>', {
  name: 'proxifier',
  patterns: { Time: '\\d\\d\\.\\d\\d [\\d:]+', Program: '[^\\s\\]]+' },
  description: 'Proxifier: [MM.dd HH:mm:ss] program - message',
  roles: { Program: 'component' },
  example: '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS',
})
