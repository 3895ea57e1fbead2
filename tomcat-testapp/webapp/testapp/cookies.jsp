<%--
  Sets several cookies with different paths/attributes (for cookie path/domain rewriting tests)
  and reports the cookies it received. Cookies set:
    sb_root=root      Path=/
    sb_app=app        Path=/testapp
    sb_sub=sub        Path=/testapp/sub
    sb_http=http      Path=/testapp; Max-Age=3600; HttpOnly; SameSite=Lax
    sb_domain=domain  Path=/testapp; Domain=<request server name>   (only with ?domain=1)
  No session is created.
--%>
<%@ page session="false" contentType="application/json; charset=UTF-8" import="jakarta.servlet.http.Cookie" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    java.util.List<Cookie> set = new java.util.ArrayList<>();
    Cookie c = new Cookie("sb_root", "root");
    c.setPath("/");
    set.add(c);
    c = new Cookie("sb_app", "app");
    c.setPath("/testapp");
    set.add(c);
    c = new Cookie("sb_sub", "sub");
    c.setPath("/testapp/sub");
    set.add(c);
    c = new Cookie("sb_http", "http");
    c.setPath("/testapp");
    c.setMaxAge(3600);
    c.setHttpOnly(true);
    c.setAttribute("SameSite", "Lax");
    set.add(c);
    if (queryFlag(request.getQueryString(), "domain")) {
        c = new Cookie("sb_domain", "domain");
        c.setPath("/testapp");
        c.setDomain(request.getServerName());
        set.add(c);
    }
    StringBuilder j = new StringBuilder("{\"node\":").append(json(nodeName(application))).append(",\"set\":[");
    String sep = "";
    for (Cookie k : set) {
        response.addCookie(k);
        j.append(sep).append(json(k.getName()));
        sep = ",";
    }
    j.append("],\"received\":{");
    sep = "";
    Cookie[] got = request.getCookies();
    if (got != null) {
        for (Cookie k : got) {
            j.append(sep).append(json(k.getName())).append(':').append(json(k.getValue()));
            sep = ",";
        }
    }
    j.append("}}\n");
    response.setHeader("Cache-Control", "no-store");
    out.write(j.toString());
%>
