<%--
  Streams ?bytes=N bytes (default 1 MiB) of a deterministic pattern: byte[i] = i % 251.
  Content-Length is set unless ?chunked=1. Written in 64 KiB writes, each flushed.
--%>
<%@ page session="false" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    String qs = request.getQueryString();
    long total = Math.max(0, queryLong(qs, "bytes", 1L << 20));
    final int chunk = 64 * 1024;
    final int period = 251;
    byte[] pattern = new byte[chunk + period];
    for (int i = 0; i < pattern.length; i++) {
        pattern[i] = (byte) (i % period);
    }
    response.setCharacterEncoding((String) null); // drop the charset the JSP runtime set
    response.setContentType("application/octet-stream");
    response.setHeader("Cache-Control", "no-store");
    if (!queryFlag(qs, "chunked")) {
        response.setContentLengthLong(total);
    }
    jakarta.servlet.ServletOutputStream os = response.getOutputStream();
    long sent = 0;
    while (sent < total) {
        int n = (int) Math.min(chunk, total - sent);
        os.write(pattern, (int) (sent % period), n);
        os.flush();
        sent += n;
    }
%>
