/**
 * The admin surface as one framework-free request handler: the balancer-manager page, a JSON API,
 * jkstatus-compatible `cmd=` commands, balancer-manager form posts, and Prometheus metrics.
 *
 * Safe by default: only requests addressed to a loopback name (or a listed `allowedHosts` name) are
 * answered, others get 421 (DNS rebinding); only loopback clients are let in unless `authorize` says
 * otherwise, and without `authorize` a request forwarded by a proxy is refused; every change needs
 * a single-use, short-lived nonce handed out with the page (or the JSON API), sent in a header or a
 * form body (never a URL), and must not come from another origin; `readOnly` refuses all changes.
 * Every change is logged as an audit line (who, what).
 *
 * This file is long because the route handlers share the handler's state (nonce store, flash
 * messages, statistics, options) through one closure; the route types and matching live in
 * `routes.ts`, the body reading and answering in `http-io.ts`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BalancerControl } from '../control.js'
import type { NextFunction } from '../types.js'
import { AdminError } from '../errors.js'
import type { Logger } from '../logger.js'
import { defaultLogger, silentLogger, toLogger } from '../logger.js'
import { applyCommand, parseJkCommand, parseJsonAdd, parseJsonChanges, parseManagerForm } from './commands.js'
import type { AdminCommand } from './commands.js'
import type { AdminOptions, ResolvedAdminOptions } from './options.js'
import { resolveAdminOptions } from './options.js'
import { renderHtml } from './render-html.js'
import { jkContentType, renderJkStatus } from './render-jkstatus.js'
import type { JkMime } from './render-jkstatus.js'
import { renderJson, renderMemberJson } from './render-json.js'
import { PROMETHEUS_CONTENT_TYPE, registerCollectors, renderPrometheus } from './render-prometheus.js'
import { NonceStore, crossOriginReason, loopbackOnly, proxySign } from './security.js'
import { misdirectedReason } from './host-allow-list.js'
import { balancerSnapshot } from './snapshot.js'
import type { BalancerSnapshot, MemberSnapshot } from './snapshot.js'
import { AdminStats } from './stats.js'
import { BASE_HEADERS, clientOf, formFields, readBody, send, splitUrl } from './http-io.js'
import { allowOf, isApiPath, jkMimeOf, matchRoute } from './routes.js'
import type { Format, Route, RouteCall, RouteHandler, RouteMethod } from './routes.js'
import { shownValue } from './shown-value.js'
import { auditRecordOf } from './audit.js'
import { clientText } from '../client-text.js'

/** The header scripts (and the page's own refresh) send a nonce in. */
export const NONCE_HEADER = 'x-balancer-nonce'

/**
 * A framework-free admin handler, plus what the balancer and tests need of it.
 *
 * @example
 * ```ts
 * const admin = balancer.adminHandler({ path: '/balancer-manager' })
 * app.use('/balancer-manager', admin)                      // Express: the whole prefix is the admin surface
 * admin.snapshot().members.map((m) => [m.id, m.admin, m.health])   // [['TomcatA', 'active', 'ok'], …]
 * process.on('SIGTERM', () => admin.close())
 * ```
 */
export interface AdminHandler {
  /**
   * Serves a request: under `path` (from `req.url`), or everything when a framework mounted the
   * handler at a prefix (Express `app.use('/balancer-manager', handler)` sets `req.baseUrl`).
   * Other requests go to `next()`, or get 404 without one.
   */
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void
  /** The resolved options. */
  readonly options: ResolvedAdminOptions
  /** A snapshot with this handler's rate history and latency statistics. */
  snapshot(): BalancerSnapshot
  /** Whether a URL (relative to the balancer's mount, with query) belongs to the admin surface. */
  owns(url: string): boolean
  /**
   * Serves an admin request whose URL relative to the balancer's mount is `url`; `mountPath` is
   * the public prefix in front of it. Never rejects.
   * @internal
   */
  serve(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, mountPath: string, url: string): Promise<void>
  /** Stops the sampling timer and removes the registry collectors. Idempotent. */
  close(): void
}

function under(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`)
}

/**
 * Creates the admin handler of a balancer. Options are validated here; a bad one throws
 * `InvalidOptionError` naming it. Call `close()` when done (the balancer does it for its own
 * `admin` option).
 *
 * @example
 * ```ts
 * import http from 'node:http'
 * import { createBalancer, createAdminHandler } from 'sticky-balancer'
 *
 * const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }] })
 * const admin = createAdminHandler(balancer, { path: '/balancer-manager' })
 * http.createServer((req, res) => {
 *   if (admin.owns(req.url ?? '/')) return admin(req, res)
 *   void balancer.handle(req, res)
 * }).listen(8080, '127.0.0.1')
 * ```
 */
export function createAdminHandler(balancer: BalancerControl, options?: AdminOptions | ResolvedAdminOptions): AdminHandler {
  const opts = resolveAdminOptions(options, 'admin')
  const chosenLogger = opts.logger !== undefined ? opts.logger : balancer.options.logger
  const log: Logger = chosenLogger === false ? silentLogger : chosenLogger === undefined ? defaultLogger : toLogger(chosenLogger, 'admin.logger')
  const stats = new AdminStats(balancer, { sampleMs: opts.sampleMs, historySize: opts.historySize, latencyBuckets: opts.latencyBuckets })
  const nonces = new NonceStore(opts.nonceMs)
  if (!opts.authorize) {
    log.warn({ admin: 'unprotected', path: opts.path }, 'the admin surface has no authorize option: every process and user on this host can change the balancer (see docs/guide/admin.md)')
  }
  /** Messages shown once on the page after a form post (by id, so a link cannot inject text). */
  const flashes = new Map<string, string>()
  const snapshot = (): BalancerSnapshot => balancerSnapshot(balancer, { name: opts.name, stats })
  let unregister: (() => void) | undefined
  if (opts.registry) unregister = registerCollectors(opts.registry, snapshot)
  let closed = false
  const metricsOutside = opts.metricsPath !== false && !under(opts.metricsPath, opts.path)

  const owns = (url: string): boolean => {
    const { pathname } = splitUrl(url)
    return under(pathname, opts.path) || (metricsOutside && pathname === opts.metricsPath)
  }

  const refuse = (req: IncomingMessage, res: ServerResponse, format: Format, error: AdminError, base: string): void => {
    log.warn({ admin: 'refused', ...clientOf(req), method: req.method, url: req.url, status: error.statusCode, reason: error.message }, 'admin request refused')
    if (error.statusCode === 403) balancer.emit('audit', auditRecordOf(req, 'refused', { status: 403, reason: error.message }))
    respondError(req, res, format, error, base)
  }

  const respondError = (req: IncomingMessage, res: ServerResponse, format: Format, error: AdminError, base: string): void => {
    const headers: Record<string, string> = { ...error.headers }
    switch (format) {
      case 'json':
        return send(res, error.statusCode, 'application/json; charset=utf-8', JSON.stringify({ error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } }), headers)
      case 'html':
        // A stale or used nonce on our own page's form: the page again, with fresh forms.
        if (error.statusCode === 403 && error.field === 'nonce') return sendPage(req, res, base, 403, { error: error.message })
        if (error.statusCode === 403 || error.statusCode === 405) break
        return sendPage(req, res, base, error.statusCode, { error: error.message })
      case 'txt':
      case 'prop':
      case 'xml':
        return send(res, error.statusCode, jkContentType(format), renderJkStatus(snapshot(), { mime: format, result: { type: 'NOT OK', message: error.message } }), headers)
      case 'text':
        break
    }
    send(res, error.statusCode, 'text/plain; charset=utf-8', `${error.statusCode} ${error.message}\n`, headers)
  }

  const sendPage = (req: IncomingMessage, res: ServerResponse, base: string, status: number, notes: { message?: string | undefined; error?: string | undefined }): void => {
    const scriptNonce = randomBytes(16).toString('base64')
    const nonce = opts.readOnly ? undefined : nonces.issue()
    const html = renderHtml(snapshot(), {
      base,
      nonce,
      readOnly: opts.readOnly,
      refreshMs: opts.refreshMs,
      scriptNonce,
      metricsHref: opts.metricsPath === false ? false : metricsOutside ? `${base.slice(0, base.length - opts.path.length)}${opts.metricsPath}` : `${base}/metrics`,
      ...notes,
    })
    send(res, status, 'text/html; charset=utf-8', html, {
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${scriptNonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    })
  }

  /** The nonce of a change: the header, else the form field. Never one from the URL. */
  const requestNonce = (req: IncomingMessage, fields?: Record<string, string>): string | undefined => {
    const header = req.headers[NONCE_HEADER]
    return (Array.isArray(header) ? header[0] : header) ?? fields?.nonce ?? undefined
  }

  /** Read-only, origin and nonce checks of a change; throws the refusal. */
  const guardChange = (req: IncomingMessage, query: URLSearchParams, fields: Record<string, string> | undefined, viaGet: boolean): void => {
    if (opts.readOnly) {
      throw viaGet
        ? new AdminError('LB_ERR_ADMIN_FORBIDDEN', 'the admin surface is read-only')
        : new AdminError('LB_ERR_ADMIN_READ_ONLY', 'the admin surface is read-only', { allow: 'GET, HEAD' })
    }
    const crossOrigin = crossOriginReason(req)
    if (crossOrigin !== undefined) throw new AdminError('LB_ERR_ADMIN_FORBIDDEN', `cross-origin change refused (${crossOrigin})`)
    if (query.has('nonce')) {
      throw new AdminError('LB_ERR_ADMIN_FORBIDDEN', `a nonce in the URL is refused, and that nonce is now void: URLs land in access logs (send a new one as the ${NONCE_HEADER} header or a POST form field)`, { field: 'nonce' })
    }
    if (!nonces.consume(requestNonce(req, fields))) {
      throw new AdminError('LB_ERR_ADMIN_FORBIDDEN', `a valid nonce is required for changes, each good for one change within ${opts.nonceMs / 1000} s (reload the page, or read one from GET ${opts.path}/api and send it as the ${NONCE_HEADER} header or the nonce form field)`, { field: 'nonce' })
    }
  }

  const run = async (req: IncomingMessage, commands: AdminCommand[], via: string): Promise<string[]> => {
    const done: string[] = []
    for (const command of commands) {
      const what = await applyCommand(balancer, command, { onReset: (m) => stats.reset(m) })
      log.info({ admin: 'change', ...clientOf(req), via, action: what }, 'admin change')
      balancer.emit('audit', auditRecordOf(req, 'change', { via, action: what }))
      done.push(what)
    }
    return done
  }

  const flash = (text: string): string => {
    const id = randomBytes(9).toString('base64url')
    flashes.set(id, text)
    while (flashes.size > 100) flashes.delete(flashes.keys().next().value as string)
    return id
  }

  const redirectToPage = (res: ServerResponse, base: string, done: string[]): void => {
    res.writeHead(303, { ...BASE_HEADERS, location: `${base}/?flash=${flash(done.join('; '))}`, 'content-length': '0' })
    res.end()
  }

  const sendJson = (res: ServerResponse, status: number, value: unknown, pretty = false): void => {
    send(res, status, 'application/json; charset=utf-8', pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value))
  }

  const memberSnapshotOf = (id: string): MemberSnapshot => {
    const m = snapshot().members.find((x) => x.id === id)
    if (!m) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', `no member has the id ${shownValue(id)}`, { field: 'member' })
    return m
  }

  /** `GET /`: the page, or a jkstatus read (`cmd=list|show`) or change (`cmd=update|reset|recover`). */
  const getPage: RouteHandler = async ({ req, res, base, query }) => {
    const cmd = query.get('cmd')
    if (cmd !== null) return serveJk(req, res, base, query, cmd, jkMimeOf(query), undefined)
    const note = query.get('flash')
    sendPage(req, res, base, 200, { message: note === null ? undefined : flashes.get(note) })
  }

  /** `POST /`: a balancer-manager form, or a jkstatus command posted as a form (its nonce in the body). */
  const postForm: RouteHandler = async (call) => {
    const { req, res, base, query } = call
    const fields = formFields((await readBody(req)).value)
    if (query.get('cmd') !== null || fields.cmd !== undefined) {
      // Its parameters from the URL and the body.
      const params = new URLSearchParams(query)
      for (const [k, v] of Object.entries(fields)) if (k !== 'nonce') params.set(k, v)
      const mime = jkMimeOf(params) ?? (call.format === 'html' || call.format === 'json' || call.format === 'text' ? undefined : call.format)
      if (mime !== undefined) call.format = mime
      return serveJk(req, res, base, params, params.get('cmd') ?? '', mime, fields, query)
    }
    guardChange(req, query, fields, false)
    delete fields.nonce
    redirectToPage(res, base, await run(req, parseManagerForm(balancer, opts.name, fields), 'balancer-manager'))
  }

  const getApi: RouteHandler = ({ res }) => {
    const nonce = opts.readOnly ? undefined : nonces.issue()
    send(res, 200, 'application/json; charset=utf-8', renderJson(snapshot(), { readOnly: opts.readOnly, nonce }))
  }

  const postReset: RouteHandler = async ({ req, res, query }) => {
    guardChange(req, query, undefined, false)
    const done = await run(req, [{ kind: 'reset' }], 'json')
    sendJson(res, 200, { ok: true, done, nonce: nonces.issue() })
  }

  const listMembers: RouteHandler = ({ res }) => sendJson(res, 200, snapshot().members, true)

  const addMember: RouteHandler = async ({ req, res, base, query }) => {
    guardChange(req, query, undefined, false)
    const command = parseJsonAdd((await readBody(req)).value)
    const done = await run(req, [command], 'json')
    const added = snapshot().members.at(-1)
    res.setHeader('location', `${base}/api/members/${encodeURIComponent(added?.id ?? '')}`)
    sendJson(res, 201, { ok: true, done, member: added, nonce: nonces.issue() }, true)
  }

  const showMember: RouteHandler = ({ res, param }) => send(res, 200, 'application/json; charset=utf-8', renderMemberJson(memberSnapshotOf(param)))

  const changeMember: RouteHandler = async ({ req, res, query, param }) => {
    memberSnapshotOf(param)
    guardChange(req, query, undefined, false)
    const body = await readBody(req)
    const done = await run(req, [parseJsonChanges(balancer, param, body.value)], 'json')
    sendJson(res, 200, { ok: true, done, member: memberSnapshotOf(param), nonce: nonces.issue() }, true)
  }

  const removeMember: RouteHandler = async ({ req, res, query, param }) => {
    memberSnapshotOf(param)
    guardChange(req, query, undefined, false)
    const done = await run(req, [{ kind: 'remove', member: param }], 'json')
    sendJson(res, 200, { ok: true, done, nonce: nonces.issue() })
  }

  /**
   * The whole admin surface. `GET` also answers `HEAD`; every other method of a path is refused
   * with 405 and the `Allow` list this table implies. Every change (`POST`, `DELETE`, a jkstatus
   * `cmd=update|reset|recover`) passes `guardChange` (read-only, origin, single-use nonce) in its
   * handler before it reads a body or parses a command.
   */
  const routes: readonly Route[] = [
    { path: '/', format: 'page', methods: { GET: getPage, POST: postForm } },
    { path: '/metrics', format: 'text', gone: opts.metricsPath === false ? 'metrics are turned off' : undefined, methods: { GET: ({ res }) => sendMetrics(res) } },
    { path: '/api', format: 'json', methods: { GET: getApi } },
    { path: '/status.json', format: 'json', methods: { GET: getApi } },
    { path: '/api/reset', format: 'json', methods: { POST: postReset } },
    { path: '/api/members', format: 'json', methods: { GET: listMembers, POST: addMember } },
    { path: '/api/members/:id', format: 'json', methods: { GET: showMember, POST: changeMember, DELETE: removeMember } },
  ]

  const serveAt = async (req: IncomingMessage, res: ServerResponse, base: string, sub: string, query: URLSearchParams): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase()
    const match = matchRoute(routes, sub === '' ? '/' : sub)
    const routeFormat = match?.route.format ?? (isApiPath(sub) ? 'json' : 'page')
    const call: RouteCall = {
      req,
      res,
      base,
      query,
      param: match?.param ?? '',
      format: routeFormat === 'page' ? (query.get('cmd') !== null ? jkMimeOf(query) ?? 'html' : 'html') : routeFormat,
    }
    const voidNonce = query.get('nonce')
    if (voidNonce !== null) nonces.revoke(voidNonce)
    const misdirected = misdirectedReason(req, opts.allowedHosts)
    if (misdirected !== undefined) {
      const host = req.headers.host
      log.warn({ admin: 'refused', ...clientOf(req), method: req.method, url: req.url, status: 421, reason: misdirected, ...(host !== undefined ? { host: host.slice(0, 200) } : {}) }, 'admin request refused')
      balancer.emit('audit', auditRecordOf(req, 'refused', { status: 421, reason: misdirected }))
      return send(res, 421, 'text/plain; charset=utf-8', `421 ${misdirected}\n`)
    }
    // Refusals before routing are JSON for the API, plain text for everything else.
    const refusalFormat: Format = call.format === 'json' ? 'json' : 'text'
    if (!opts.authorize) {
      const sign = proxySign(req)
      if (sign !== undefined) {
        return refuse(req, res, refusalFormat, new AdminError('LB_ERR_ADMIN_FORBIDDEN', `a proxy forwarded this request (it carries ${sign}): behind a proxy every client looks local, so the admin surface needs an authorize option, or its own listener (listenAdmin)`), base)
      }
    }
    try {
      const allowed = opts.authorize ? await opts.authorize(req) : loopbackOnly(req)
      if (allowed !== true) {
        return refuse(req, res, refusalFormat, new AdminError('LB_ERR_ADMIN_FORBIDDEN', opts.authorize ? 'not authorized' : 'the admin surface only answers loopback clients (see the authorize option)'), base)
      }
    } catch (err) {
      log.error({ admin: 'refused', ...clientOf(req), err: err instanceof Error ? err.message : String(err) }, 'admin authorize hook failed')
      balancer.emit('audit', auditRecordOf(req, 'refused', { status: 403, reason: 'the authorize hook failed' }))
      return send(res, 403, 'text/plain; charset=utf-8', '403 not authorized\n')
    }

    try {
      if (!match) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', `nothing at ${shownValue(`${base}${sub}`)}`)
      const { route } = match
      if (route.gone !== undefined) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', route.gone)
      const handler = route.methods[method === 'HEAD' ? 'GET' : method as RouteMethod]
      if (!handler) {
        const allow = allowOf(route)
        throw new AdminError('LB_ERR_ADMIN_METHOD', `${clientText(method)} is not allowed here (allowed: ${allow})`, { allow })
      }
      return await handler(call)
    } catch (err) {
      if (err instanceof AdminError) return refuse(req, res, call.format, err, base)
      log.error({ admin: 'error', ...clientOf(req), url: req.url, err: err instanceof Error ? err.message : String(err) }, 'admin request failed')
      return send(res, 500, 'text/plain; charset=utf-8', '500 admin request failed\n')
    }
  }

  /**
   * jkstatus: `query` holds the command's parameters; `fields` is the posted form (a change
   * posted with its nonce in the body) and `url` the URL's own query, when posted.
   */
  const serveJk = async (
    req: IncomingMessage, res: ServerResponse, base: string, query: URLSearchParams, cmd: string,
    mime: JkMime | undefined, fields: Record<string, string> | undefined, url: URLSearchParams = query,
  ): Promise<void> => {
    const w = query.get('w')
    if ((cmd === 'list' || cmd === 'show') && fields === undefined) {
      if (w !== null && w !== opts.name) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', `no balancer is named ${shownValue(w)} (this one is ${JSON.stringify(opts.name)})`, { field: 'w' })
      const sw = cmd === 'show' ? query.get('sw') ?? undefined : undefined
      const snap = snapshot()
      if (sw !== undefined && !snap.members.some((m) => m.id === sw)) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', `no member has the id ${shownValue(sw)}`, { field: 'sw' })
      if (mime === undefined) return sendPage(req, res, base, 200, {})
      return send(res, 200, jkContentType(mime), renderJkStatus(snap, { mime, member: sw }))
    }
    if (cmd === 'update' || cmd === 'reset' || cmd === 'recover') {
      guardChange(req, url, fields, fields === undefined)
      const done = await run(req, parseJkCommand(balancer, opts.name, query), 'jkstatus')
      if (mime === undefined) {
        res.writeHead(303, { ...BASE_HEADERS, location: `${base}/?flash=${flash(done.join('; '))}`, 'content-length': '0' })
        res.end()
        return
      }
      return send(res, 200, jkContentType(mime), renderJkStatus(snapshot(), { mime, member: query.get('sw') ?? undefined, result: { type: 'OK', message: 'Action finished' } }))
    }
    if (fields !== undefined && (cmd === 'list' || cmd === 'show')) throw new AdminError('LB_ERR_ADMIN_METHOD', `${cmd} is read with GET`, { allow: 'GET, HEAD' })
    throw new AdminError('LB_ERR_ADMIN_INVALID', `cmd: must be list, show, update, reset or recover, got ${shownValue(cmd)}`, { field: 'cmd' })
  }

  const sendMetrics = async (res: ServerResponse): Promise<void> => {
    const registry = opts.registry
    if (registry && typeof registry.metrics === 'function') {
      const text = await registry.metrics()
      return send(res, 200, registry.contentType ?? PROMETHEUS_CONTENT_TYPE, text)
    }
    send(res, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus(snapshot()))
  }

  const serve = async (req: IncomingMessage, res: ServerResponse, _next: NextFunction | undefined, mountPath: string, url: string): Promise<void> => {
    const { pathname, query } = splitUrl(url)
    if (metricsOutside && pathname === opts.metricsPath) return serveAt(req, res, `${mountPath}${opts.path}`, '/metrics', query)
    return serveAt(req, res, `${mountPath}${opts.path}`, pathname.slice(opts.path.length), query)
  }

  const handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    const url = req.url ?? '/'
    const baseUrl = (req as IncomingMessage & { baseUrl?: unknown }).baseUrl
    const mount = typeof baseUrl === 'string' ? baseUrl : ''
    if (owns(url)) {
      void serve(req, res, next, mount, url)
      return
    }
    if (mount !== '') {
      // Mounted by a framework at its own prefix: everything below it is ours.
      const { pathname, query } = splitUrl(url)
      void serveAt(req, res, mount, pathname === '/' ? '' : pathname, query)
      return
    }
    if (next) next()
    else send(res, 404, 'text/plain; charset=utf-8', '404 not found\n')
  }

  return Object.assign(handler, {
    options: opts,
    snapshot,
    owns,
    serve,
    close(): void {
      if (closed) return
      closed = true
      stats.close()
      unregister?.()
    },
  })
}
