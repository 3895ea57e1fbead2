<%--
  An order book for "did this request run, and how often?" tests. Reads the body, appends one
  line "<id> <method>\n" to <CATALINA_BASE>/logs/ledger.log (?id=, default "-"), then answers
  {"node","id"}. The line is written (O_APPEND, one write) before the response starts, so every
  answer a client sees has its line, even if the JVM is killed right after; unlike the access log,
  which Tomcat writes after the response and drops while it shuts down.
--%>
<%@ page session="false" isErrorPage="true" contentType="application/json; charset=UTF-8"
         import="java.io.InputStream, java.nio.charset.StandardCharsets, java.nio.file.*" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    InputStream in = request.getInputStream();
    byte[] buf = new byte[8192];
    while (in.read(buf) != -1) {
        // drain: the request is executed once its whole body has arrived
    }
    String id = queryParam(request.getQueryString(), "id");
    if (id == null || id.isEmpty() || !id.matches("[A-Za-z0-9._-]{1,100}")) {
        id = "-";
    }
    Path ledger = Paths.get(System.getProperty("catalina.base"), "logs", "ledger.log");
    Files.write(ledger, (id + " " + request.getMethod() + "\n").getBytes(StandardCharsets.US_ASCII),
            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    response.setHeader("Cache-Control", "no-store");
    out.print("{\"node\":" + json(nodeName(application)) + ",\"id\":" + json(id) + "}\n");
%>
