/**
 * The public surface: the names the package entries export, listed here so that adding one is a
 * deliberate act (edit the list, and say why in the commit), and each with a doc comment, because
 * TypeDoc renders those comments as the API reference.
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const ENTRIES = ['lib/index.ts', 'adapters/express/index.ts', 'adapters/koa/index.ts'] as const
type Entry = (typeof ENTRIES)[number]

interface ExportedName {
  name: string
  /** Whether it exists at run time (a class, function or constant) or only as a type. */
  kind: 'value' | 'type'
  documented: boolean
}

/** The exports of each entry, read by the TypeScript checker (re-exports resolved to their declarations). */
function readSurface(): Record<Entry, ExportedName[]> {
  const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json')
  if (!configPath) throw new Error('tsconfig.json not found')
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root)
  const program = ts.createProgram(ENTRIES.map((e) => `${root}${e}`), { ...config.options, noEmit: true })
  const checker = program.getTypeChecker()
  const out = {} as Record<Entry, ExportedName[]>
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(`${root}${entry}`)
    const moduleSymbol = source && checker.getSymbolAtLocation(source)
    if (!moduleSymbol) throw new Error(`${entry}: no module symbol`)
    out[entry] = checker.getExportsOfModule(moduleSymbol).map((exported) => {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const typeOnly = exported.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) ?? false
      const isValue = (target.flags & ts.SymbolFlags.Value) !== 0 && !typeOnly
      const documented = (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).some((c) => ts.isJSDoc(c) && (c.comment !== undefined || (c.tags?.length ?? 0) > 0)))
      return { name: exported.name, kind: isValue ? 'value' : 'type', documented }
    })
  }
  return out
}

let surface: Record<Entry, ExportedName[]>
beforeAll(() => {
  surface = readSurface()
}, 120_000)

const names = (entry: Entry, kind: ExportedName['kind']): string[] =>
  surface[entry]
    .filter((e) => e.kind === kind)
    .map((e) => e.name)
    .sort()

describe('public surface', () => {
  it('sticky-balancer exports exactly these values', () => {
    expect(names('lib/index.ts', 'value')).toEqual(LIB_VALUES)
  })

  it('sticky-balancer exports exactly these types', () => {
    expect(names('lib/index.ts', 'type')).toEqual(LIB_TYPES)
  })

  it('sticky-balancer/express and sticky-balancer/koa export exactly these names', () => {
    expect(surface['adapters/express/index.ts'].map((e) => e.name).sort()).toEqual(EXPRESS)
    expect(surface['adapters/koa/index.ts'].map((e) => e.name).sort()).toEqual(KOA)
  })

  it('every exported name has a doc comment', () => {
    const undocumented = ENTRIES.flatMap((entry) => surface[entry].filter((e) => !e.documented).map((e) => `${entry}: ${e.name}`))
    expect(undocumented).toEqual([])
  })
})

// The lists, sorted. A change here is a change of the public API: say why in the commit.
const LIB_VALUES: string[] = [
  'ACCESS_LOG_FORMATS',
  'AccessTrail',
  'AdminError',
  'AjpProtocolError',
  'AjpSecretRejectedError',
  'AjpUpgradeNotSupportedError',
  'BadRequestError',
  'BalancerClosedError',
  'BodyConsumedError',
  'ClientAbortedError',
  'ClientTimeoutError',
  'HeadersTooLargeError',
  'HealthCheckError',
  'HookError',
  'InvalidOptionError',
  'LbError',
  'MethodNotAllowedError',
  'NoMemberError',
  'NotFoundError',
  'NotImplementedError',
  'PathOutsideMountError',
  'SCHEDULER_CHECKS',
  'StickyMemberUnavailableError',
  'UpstreamBusyError',
  'UpstreamConnectError',
  'UpstreamProtocolError',
  'UpstreamResetError',
  'UpstreamStatusError',
  'UpstreamTimeoutError',
  'UpstreamTlsError',
  'balancerSnapshot',
  'checkScheduler',
  'createAdminHandler',
  'createBalancer',
  'createByBusyness',
  'createByRequests',
  'createByTraffic',
  'createConsistentHash',
  'createIpHash',
  'createLeastConn',
  'createPeakEwma',
  'createRandom',
  'createWrr',
  'detectConfigFormat',
  'diagnosticsChannels',
  'escapeLogText',
  'formatAccessLine',
  'formatAuditLine',
  'fromHttpdConfig',
  'fromNginxConfig',
  'fromWorkersProperties',
  'importConfig',
  'isLoopback',
  'listenAdmin',
  'refuseConnect',
]
const LIB_TYPES: string[] = [
  'AccessLogFormat',
  'AccessRecord',
  'AccessSink',
  'AdminErrorCode',
  'AdminHandler',
  'AdminListenOptions',
  'AdminListener',
  'AdminOptions',
  'AdminState',
  'AjpProtocolErrorCode',
  'AjpTransportOptions',
  'AttachUpgradesOptions',
  'AuditRecord',
  'Balancer',
  'BalancerControl',
  'BalancerCookieOptions',
  'BalancerEvents',
  'BalancerOptions',
  'BalancerSnapshot',
  'ByRequestsOptions',
  'ByTrafficOptions',
  'ByTrafficScheduler',
  'CheckSchedulerOptions',
  'ClientStall',
  'ClientTimeouts',
  'ClientTrust',
  'ConfigFormat',
  'ConsistentHashOptions',
  'ConsistentHashScheduler',
  'ExchangeEvent',
  'ExchangeResult',
  'HashKey',
  'HealthCheckMethod',
  'HealthCheckOptions',
  'HealthState',
  'HookName',
  'HttpAgentOptions',
  'HttpTransportOptions',
  'ImportConfigOptions',
  'ImportOptions',
  'ImportResult',
  'ImportedBalancer',
  'IpHashOptions',
  'LatencyHistogram',
  'LbErrorCode',
  'Logger',
  'LoggerOption',
  'Member',
  'MemberCounters',
  'MemberEvents',
  'MemberFailureCode',
  'MemberOptions',
  'MemberProtocol',
  'MemberSettingChanges',
  'MemberSettings',
  'MemberSnapshot',
  'MemberView',
  'MetricsRegistryLike',
  'MountContext',
  'NextFunction',
  'OnRequestHook',
  'OnResponseHook',
  'PathRewrite',
  'PathRewriter',
  'PeakEwmaOptions',
  'PeakEwmaScheduler',
  'PemInput',
  'PickContext',
  'ProxyRequestContext',
  'ProxyResponseContext',
  'RandomOptions',
  'RatePoint',
  'ResolvedAdminOptions',
  'ResolvedAjpTransportOptions',
  'ResolvedBalancerCookie',
  'ResolvedBalancerOptions',
  'ResolvedHealthCheck',
  'ResolvedMemberOptions',
  'ResolvedStickyOptions',
  'ResolvedUpgradeOptions',
  'ResponseHeaders',
  'Scheduler',
  'SchedulerCheck',
  'SchedulerName',
  'SchedulerViolation',
  'SnapshotOptions',
  'StatsSource',
  'StickyMiss',
  'StickyOptions',
  'StickyReason',
  'TlsOptions',
  'TlsVersion',
  'TrustPredicate',
  'TrustProxy',
  'TrustProxyOption',
  'UpgradeEvent',
  'UpgradeHandler',
  'UpgradeOptions',
  'UpgradeServer',
  'UpstreamAttempt',
  'WinstonLikeLogger',
  'WorkersPropertiesImportOptions',
]
const EXPRESS: string[] = [
  'AttachUpgradesOptions',
  'Balancer',
  'BalancerOptions',
  'StickyBalancerMiddleware',
  'stickyBalancer',
]
const KOA: string[] = [
  'AttachUpgradesOptions',
  'Balancer',
  'BalancerOptions',
  'StickyBalancerMiddleware',
  'stickyBalancer',
]
