<%--
  The tutorial's page: which node answered, the session id and its creation time.
  Every request touches the session (creates it if needed) and counts hits in it.
    GET /testapp/index.jsp              HTML
    GET /testapp/index.jsp?format=json  {"node","sessionId","created","hits","isNew","requestedSessionId","maxInactive"}
    ?ttl=N  a session created by this request expires after N idle seconds (1-86400) instead of
            the webapp's 30 minutes: the benchmark's new-session load would otherwise fill the heap
  Headers on both: X-Node, X-Session-Id.
  Reached through a balancer (the request carries X-Forwarded-Host, as sticky-balancer, httpd and
  nginx send it), the HTML also links to /balancer-manager/ on the host the browser used: where the
  examples and `npm run demo` serve the balancer-manager page.
--%>
<%@ page contentType="text/html; charset=UTF-8" import="java.util.concurrent.atomic.AtomicInteger" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    String node = nodeName(application);
    long ttl = queryLong(request.getQueryString(), "ttl", 0);
    if (session.isNew() && ttl >= 1 && ttl <= 86400) {
        session.setMaxInactiveInterval((int) ttl);
    }
    session.setAttribute("sticky-balancer", "sticky-balancer");
    AtomicInteger counter = (AtomicInteger) session.getAttribute("hits");
    if (counter == null) {
        counter = new AtomicInteger();
        session.setAttribute("hits", counter);
    }
    int hits = counter.incrementAndGet();
    response.setHeader("X-Session-Id", session.getId());
    response.setHeader("Cache-Control", "no-store");

    if ("json".equals(queryParam(request.getQueryString(), "format"))) {
        response.setContentType("application/json;charset=UTF-8");
        out.print("{\"node\":" + json(node)
                + ",\"sessionId\":" + json(session.getId())
                + ",\"created\":" + session.getCreationTime()
                + ",\"hits\":" + hits
                + ",\"isNew\":" + session.isNew()
                + ",\"requestedSessionId\":" + json(request.getRequestedSessionId())
                + ",\"maxInactive\":" + session.getMaxInactiveInterval()
                + "}\n");
        return;
    }
    String created = java.time.Instant.ofEpochMilli(session.getCreationTime()).toString();
    boolean viaBalancer = request.getHeader("X-Forwarded-Host") != null;
%>
<!DOCTYPE html>
<html>
<head><meta charset="UTF-8"><title>Tomcat node <%= html(node) %></title></head>
<body>
<h1 style="color: <%= node.endsWith("B") ? "blue" : "green" %>"><%= html(node) %></h1>
<table border="1">
  <tr><td>Node</td><td id="node"><%= html(node) %></td></tr>
  <tr><td>Session ID</td><td id="session-id"><%= html(session.getId()) %></td></tr>
  <tr><td>Created on</td><td id="created"><%= session.getCreationTime() %> (<%= created %>)</td></tr>
  <tr><td>Hits in this session</td><td id="hits"><%= hits %></td></tr>
</table>
<% if (viaBalancer) { %>
<p id="via-balancer">Served through the balancer: reload to see the session stay on this node, or open the
<a id="balancer-manager" href="/balancer-manager/">balancer-manager</a> to see both nodes, their sticky hits,
and to drain or stop one.</p>
<% } %>
</body>
</html>
