// What `npm run demo` prints once the balancer listens: the page to open first (the balancer's `/`,
// which redirects to the testapp page: node name, session id, and a link to the balancer-manager),
// then the other pages. Its own module so that a test can open the URL it prints.

/**
 * @param {string} origin the balancer's origin, e.g. `http://127.0.0.1:8080`
 * @param {{ ajp?: boolean }} [options]
 * @returns {string}
 */
export function demoBanner(origin, { ajp = false } = {}) {
  return `
Two Tomcat nodes are behind the balancer (over ${ajp ? 'AJP' : 'HTTP'}). Open:
  ${origin}/
      the testapp page through the balancer: the node that served it, the session id (it ends in
      .TomcatA or .TomcatB, Tomcat's jvmRoute) and its creation time; reload it: the session stays
      on its node. Its link opens the balancer-manager.
  ${origin}/balancer-manager/
      the balancer-manager: members, states, weights, sticky hits; drain or stop a node there and
      watch where new sessions go
  ${origin}/testapp/echo.jsp
      what Tomcat sees of the request (X-Forwarded-*, remote address, …)
  http://127.0.0.1:8081/testapp/index.jsp and http://127.0.0.1:8082/testapp/index.jsp
      the nodes directly
Press Ctrl-C to stop the balancer and both nodes.`
}
