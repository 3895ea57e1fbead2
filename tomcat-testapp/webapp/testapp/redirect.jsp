<%--
  Redirects to ?to= (default index.jsp).
    no ?code  -> response.sendRedirect(to): 302, Tomcat makes the Location absolute with its own
                 scheme://host:port (the webapp sets useRelativeRedirects="false")
    ?code=NNN -> status NNN (301, 303, 307, 308...) with Location = to resolved against the request URL
    &raw=1    -> Location = to, verbatim
--%>
<%@ page session="false" contentType="text/plain; charset=UTF-8" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    String qs = request.getQueryString();
    String to = queryParam(qs, "to");
    if (to == null || to.isEmpty()) {
        to = "index.jsp";
    }
    long code = queryLong(qs, "code", 0);
    response.setHeader("Cache-Control", "no-store");
    if (code == 0) {
        response.sendRedirect(to);
        return;
    }
    String location = queryFlag(qs, "raw")
            ? to
            : java.net.URI.create(request.getRequestURL().toString()).resolve(to).toString();
    response.setStatus((int) code);
    response.setHeader("Location", location);
    out.print("redirect " + code + " to " + location + "\n");
%>
