<%--
  Answers with ?code=NNN (default 200) and a small text body "status NNN from <node>".
  204 and 304 have no body (304 also sends ETag: "sb-testapp"). ?retryAfter=N adds Retry-After.
  Not sendError(): the body stays this small text, not Tomcat's HTML error page.
--%>
<%@ page session="false" contentType="text/plain; charset=UTF-8" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    String qs = request.getQueryString();
    long code = queryLong(qs, "code", 200);
    if (code < 200 || code > 599) {
        code = 400;
    }
    response.setStatus((int) code);
    response.setHeader("Cache-Control", "no-store");
    String retryAfter = queryParam(qs, "retryAfter");
    if (retryAfter != null && !retryAfter.isEmpty()) {
        response.setHeader("Retry-After", retryAfter);
    }
    if (code == 304) {
        response.setHeader("ETag", "\"sb-testapp\"");
    }
    if (code == 204 || code == 304) {
        response.setContentType(null);
        return;
    }
    out.print("status " + code + " from " + nodeName(application) + "\n");
%>
