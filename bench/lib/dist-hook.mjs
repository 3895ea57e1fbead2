// `node --import ./bench/lib/dist-hook.mjs`: resolve `sticky-balancer`, `sticky-balancer/express`
// and `sticky-balancer/koa` to the ESM build in $BENCH_DIST instead of the package's dist/, so a
// build of another commit can be measured without touching the shared dist/ (bench/run.mjs --dist).
import { register } from 'node:module'

const dist = process.env.BENCH_DIST
if (dist) {
  register(`data:text/javascript,${encodeURIComponent(`
    import { pathToFileURL } from 'node:url'
    const dist = ${JSON.stringify(dist)}
    const entries = { 'sticky-balancer': 'index.js', 'sticky-balancer/express': 'express.js', 'sticky-balancer/koa': 'koa.js' }
    export async function resolve(specifier, context, next) {
      const file = entries[specifier]
      if (file) return { url: pathToFileURL(dist + '/' + file).href, shortCircuit: true }
      return next(specifier, context)
    }
  `)}`)
}
