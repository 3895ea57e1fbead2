<%--
  Sleeps ?ms=N milliseconds (default 1000, max 600000), then answers {"node","ms"}.
  ?flush=1 commits the status line and headers first and sends the body only after the sleep
  (for "response started, then stalled" timeout tests).
--%>
<%@ page session="false" contentType="application/json; charset=UTF-8" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    String qs = request.getQueryString();
    long ms = Math.max(0, Math.min(600_000, queryLong(qs, "ms", 1000)));
    response.setHeader("Cache-Control", "no-store");
    if (queryFlag(qs, "flush")) {
        response.flushBuffer();
    }
    try {
        Thread.sleep(ms);
    } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
    }
    out.print("{\"node\":" + json(nodeName(application)) + ",\"ms\":" + ms + "}\n");
%>
