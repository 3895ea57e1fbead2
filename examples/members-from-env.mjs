// Reads members from MEMBERS="route=url,route=url"; defaults to the two tomcat-testapp nodes.
export function membersFromEnv(text = 'TomcatA=http://127.0.0.1:8081,TomcatB=http://127.0.0.1:8082') {
  return text.split(',').filter(Boolean).map((entry) => {
    const [route, url] = entry.split('=')
    return { route, url }
  })
}
