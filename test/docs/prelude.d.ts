/**
 * The names a guide's code block may use without defining them: what the prose around it has
 * already set up (`balancer`, `app`, `members`, …), and, for fragments (blocks with no `import`
 * line), the package's functions and the Node modules the guides use.
 *
 * test/docs/code-blocks.test.ts type-checks every TypeScript and JavaScript block of README.md and
 * docs/ against the BUILT package; each block imports from here exactly the names it uses and does
 * not declare itself. This file is only read there (it needs dist/), never by `npm run typecheck`.
 */
import type { IncomingMessage } from 'node:http'
import type { Express } from 'express'
import type { Balancer, MemberOptions } from 'sticky-balancer'

// ---------------------------------------------------------------------------------------------
// Context: names the prose defines. Visible to every block.

/** A balancer made as in the page's first example. */
export declare const balancer: Balancer
/** An Express application. */
export declare const app: Express
/** The members of the page's first example. */
export declare const members: MemberOptions[]
/** A bearer token the application knows. */
export declare const token: string
/** A prom-client `Histogram` with a `member` and a `status` label. */
export declare const latency: { observe(labels: { member: string; status: string }, seconds: number): void }
/** The application's alerting. */
export declare function alert(message: string): void
/** An OpenTelemetry-like tracer. */
export declare const tracer: { activeSpan(): { setAttributes(attributes: Record<string, string | number | undefined>): void } | undefined }
/** A custom scheduler factory (`createMine()` in schedulers.md). */
export declare function createMine(): import('sticky-balancer').Scheduler

// ---------------------------------------------------------------------------------------------
// Imports: only for fragments (blocks without an `import` line); a block that imports must import
// everything it uses.

export type { IncomingMessage }
export { default as http } from 'node:http'
export { readFileSync } from 'node:fs'
export { balancerSnapshot, createBalancer, createByTraffic, isLoopback } from 'sticky-balancer'
export { stickyBalancer } from 'sticky-balancer/express'
