/**
 * nodes.sh copies tomcat-testapp/webapp/testapp into each node when it starts it: a node started
 * before the webapp changed serves the old pages until it is restarted. Tests of a page's new
 * content name such nodes in their failure message.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT, TOMCAT_NODES, tomcatNodeDir } from './tomcat.js'
import type { TomcatNode } from './tomcat.js'

/** `''`, or ` (TomcatA, TomcatB run an older index.jsp: restart them …)` when their deployed copy of `page` differs from the repository's. */
export function staleWebappHint(page: string, nodes: readonly TomcatNode[] = TOMCAT_NODES): string {
  const current = readFileSync(join(REPO_ROOT, 'tomcat-testapp', 'webapp', 'testapp', page), 'utf8')
  const stale = nodes.filter((n) => {
    const deployed = join(tomcatNodeDir(n.name), 'webapps', 'testapp', page)
    return existsSync(deployed) && readFileSync(deployed, 'utf8') !== current
  })
  return stale.length ? ` (${stale.map((n) => n.name).join(', ')} run an older ${page}: restart them with bash tomcat-testapp/bin/nodes.sh restart)` : ''
}
