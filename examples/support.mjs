// Small helpers shared by the examples; copy them along with an example.

/** Members from MEMBERS="route=url,route=url"; defaults to the two tomcat-testapp nodes over HTTP. */
export function membersFromEnv(text = 'TomcatA=http://127.0.0.1:8081,TomcatB=http://127.0.0.1:8082') {
  return text.split(',').filter(Boolean).map((entry) => {
    const [route, url] = entry.split('=')
    return { route, url }
  })
}

/** Prints the URL to open once `server` listens, and closes server and balancer on SIGINT/SIGTERM. */
export function serveUntilSignal(server, balancer) {
  server.once('listening', () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}/testapp/index.jsp`)
  })
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      server.close()
      await balancer.close()
      process.exit(0)
    })
  }
}
