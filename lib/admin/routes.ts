/**
 * The admin surface's route table: its types and the pure functions that match a path and derive
 * a route's `Allow` list. The table itself lives in `admin-handler.ts`, next to its handlers.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JkMime } from './render-jkstatus.js'

/** How an admin answer (and a refusal) is rendered. */
export type Format = 'json' | 'html' | 'text' | JkMime

export type RouteMethod = 'GET' | 'POST' | 'DELETE'

/** One admin request being served: what a route handler gets. */
export interface RouteCall {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The public path of the admin surface (mount + `path`). */
  readonly base: string
  readonly query: URLSearchParams
  /** What `:id` matched (URL-decoded), or `''`. */
  readonly param: string
  /** How refusals are answered; a jkstatus command posted as a form may change it (its `mime`). */
  format: Format
}

export type RouteHandler = (call: RouteCall) => Promise<void> | void

/** One path of the admin surface: the methods it takes and how it answers refusals. */
export interface Route {
  /** The path below `path`; `:id` (last segment only) captures the rest. */
  readonly path: string
  /** `page`: the HTML page, or a jkstatus `mime` answer when the URL has `cmd`. */
  readonly format: 'json' | 'text' | 'page'
  /** When set, the path answers 404 with this message whatever the method. */
  readonly gone?: string | undefined
  /** The handlers by method; `GET` also answers `HEAD`. */
  readonly methods: Readonly<Partial<Record<RouteMethod, RouteHandler>>>
}

export function matchRoute(routes: readonly Route[], sub: string): { route: Route; param: string } | undefined {
  for (const route of routes) {
    if (route.path === sub) return { route, param: '' }
    if (route.path.endsWith('/:id')) {
      const prefix = route.path.slice(0, -':id'.length)
      if (sub.startsWith(prefix)) return { route, param: sub.slice(prefix.length) }
    }
  }
  return undefined
}

/** The `Allow` list of a route, in the order the surface has always answered it. */
export function allowOf(route: Route): string {
  const allow: string[] = []
  if (route.methods.GET) allow.push('GET', 'HEAD')
  if (route.methods.POST) allow.push('POST')
  if (route.methods.DELETE) allow.push('DELETE')
  return allow.join(', ')
}

export function isApiPath(sub: string): boolean {
  return sub === '/api' || sub.startsWith('/api/') || sub === '/status.json'
}

export function jkMimeOf(query: URLSearchParams): JkMime | undefined {
  const mime = query.get('mime')
  return mime === 'txt' || mime === 'prop' || mime === 'xml' ? mime : undefined
}
