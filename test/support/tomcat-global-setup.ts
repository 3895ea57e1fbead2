/**
 * Global setup of the `tomcat` test project: starts the two default Tomcat nodes once for the
 * whole run and stops them afterwards, unless they were already running (a developer's nodes are
 * left as they were). A Tomcat that cannot be started fails the run; it never skips.
 */
import { ensureTomcatNodes, runNodesScript } from './tomcat.js'

export default async function setup(): Promise<() => Promise<void>> {
  const wasRunning = await runNodesScript(['status']).then(() => true, () => false)
  await ensureTomcatNodes()
  return async () => {
    if (!wasRunning) await runNodesScript(['stop']).catch(() => {})
  }
}
