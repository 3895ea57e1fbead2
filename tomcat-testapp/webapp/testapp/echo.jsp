<%--
  Describes the request as JSON (see README.md for the shape). Reads the whole body first,
  streaming, and reports its length and SHA-256. No session is created unless ?session=1.
  isErrorPage="true" only lifts Jasper's GET/POST/HEAD restriction, so PUT, DELETE, PATCH,
  OPTIONS... are echoed too. Optional ?status=NNN sets the response status.
  Also mapped at /testapp/echo/* and /testapp/sub/* (WEB-INF/web.xml).
--%>
<%@ page session="false" isErrorPage="true" contentType="application/json; charset=UTF-8"
         import="java.io.InputStream, java.security.MessageDigest, java.util.*, jakarta.servlet.http.*" %>
<%@ include file="/WEB-INF/jspf/util.jspf" %>
<%
    // 1. The body, before anything could parse it as form parameters.
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[64 * 1024];
    byte[] head = new byte[4097]; // bodyText is reported for bodies up to 4096 bytes
    int headLen = 0;
    long bodyLength = 0;
    InputStream in = request.getInputStream();
    for (int n; (n = in.read(buf)) != -1; ) {
        sha.update(buf, 0, n);
        if (headLen < head.length) {
            int k = Math.min(n, head.length - headLen);
            System.arraycopy(buf, 0, head, headLen, k);
            headLen += k;
        }
        bodyLength += n;
    }
    StringBuilder hex = new StringBuilder(64);
    for (byte b : sha.digest()) {
        hex.append(String.format("%02x", b & 0xff));
    }

    String qs = request.getQueryString();
    long status = queryLong(qs, "status", 200);
    if (status >= 200 && status <= 599) {
        response.setStatus((int) status);
    }
    HttpSession sess = request.getSession(queryFlag(qs, "session"));

    StringBuilder j = new StringBuilder(4096);
    j.append("{\"node\":").append(json(nodeName(application)));
    j.append(",\"method\":").append(json(request.getMethod()));
    j.append(",\"protocol\":").append(json(request.getProtocol()));
    j.append(",\"requestURI\":").append(json(request.getRequestURI()));
    j.append(",\"requestURL\":").append(json(request.getRequestURL().toString()));
    j.append(",\"queryString\":").append(json(qs));
    j.append(",\"contextPath\":").append(json(request.getContextPath()));
    j.append(",\"servletPath\":").append(json(request.getServletPath()));
    j.append(",\"pathInfo\":").append(json(request.getPathInfo()));

    // Header names lower-cased (HTTP and AJP report different cases), values in arrival order.
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements(); ) {
        String name = names.nextElement();
        List<String> values = headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>());
        for (Enumeration<String> vs = request.getHeaders(name); vs.hasMoreElements(); ) {
            values.add(vs.nextElement());
        }
    }
    j.append(",\"headers\":{");
    String sep = "";
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        j.append(sep).append(json(e.getKey())).append(":[");
        String vsep = "";
        for (String v : e.getValue()) {
            j.append(vsep).append(json(v));
            vsep = ",";
        }
        j.append(']');
        sep = ",";
    }
    j.append('}');

    j.append(",\"cookies\":{");
    sep = "";
    Cookie[] cookies = request.getCookies();
    if (cookies != null) {
        Map<String, List<String>> byName = new LinkedHashMap<>();
        for (Cookie c : cookies) {
            byName.computeIfAbsent(c.getName(), k -> new ArrayList<>()).add(c.getValue());
        }
        for (Map.Entry<String, List<String>> e : byName.entrySet()) {
            j.append(sep).append(json(e.getKey())).append(":[");
            String vsep = "";
            for (String v : e.getValue()) {
                j.append(vsep).append(json(v));
                vsep = ",";
            }
            j.append(']');
            sep = ",";
        }
    }
    j.append('}');

    j.append(",\"remoteAddr\":").append(json(request.getRemoteAddr()));
    j.append(",\"remoteHost\":").append(json(request.getRemoteHost()));
    j.append(",\"remotePort\":").append(request.getRemotePort());
    j.append(",\"remoteUser\":").append(json(request.getRemoteUser()));
    j.append(",\"authType\":").append(json(request.getAuthType()));
    j.append(",\"localAddr\":").append(json(request.getLocalAddr()));
    j.append(",\"localPort\":").append(request.getLocalPort());
    j.append(",\"scheme\":").append(json(request.getScheme()));
    j.append(",\"secure\":").append(request.isSecure());
    j.append(",\"serverName\":").append(json(request.getServerName()));
    j.append(",\"serverPort\":").append(request.getServerPort());

    // TLS details (set by Tomcat for HTTPS, or forwarded over AJP by the proxy).
    Object cipher = request.getAttribute("jakarta.servlet.request.cipher_suite");
    Object keySize = request.getAttribute("jakarta.servlet.request.key_size");
    Object sslSession = request.getAttribute("jakarta.servlet.request.ssl_session_id");
    Object certs = request.getAttribute("jakarta.servlet.request.X509Certificate");
    if (cipher != null || keySize != null || sslSession != null || certs != null) {
        j.append(",\"tls\":{\"cipherSuite\":").append(json(cipher == null ? null : cipher.toString()));
        j.append(",\"keySize\":").append(keySize instanceof Number ? keySize.toString() : "null");
        j.append(",\"sessionId\":").append(json(sslSession == null ? null : sslSession.toString()));
        j.append(",\"certSubjects\":[");
        if (certs instanceof java.security.cert.X509Certificate[]) {
            sep = "";
            for (java.security.cert.X509Certificate c : (java.security.cert.X509Certificate[]) certs) {
                j.append(sep).append(json(c.getSubjectX500Principal().getName()));
                sep = ",";
            }
        }
        j.append("]}");
    } else {
        j.append(",\"tls\":null");
    }

    // Request attributes with simple values. getAttributeNames() does not list the ones the AJP
    // connector keeps internally, so those are looked up by name: JK_LB_ACTIVATION, the TLS
    // protocol, and any names passed as ?attrs=a,b (custom AJP attributes, which Tomcat accepts
    // only if they match the connector's allowedRequestAttributesPattern).
    Set<String> attrNames = new LinkedHashSet<>(Collections.list(request.getAttributeNames()));
    attrNames.add("JK_LB_ACTIVATION");
    attrNames.add("jakarta.servlet.request.secure_protocol");
    String extraAttrs = queryParam(qs, "attrs");
    if (extraAttrs != null) {
        for (String a : extraAttrs.split(",")) {
            if (!a.isEmpty()) {
                attrNames.add(a);
            }
        }
    }
    j.append(",\"attributes\":{");
    sep = "";
    for (String name : attrNames) {
        Object v = request.getAttribute(name);
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
            j.append(sep).append(json(name)).append(':').append(json(v.toString()));
            sep = ",";
        }
    }
    j.append('}');

    j.append(",\"contentType\":").append(json(request.getContentType()));
    j.append(",\"contentLength\":").append(request.getContentLengthLong());
    j.append(",\"bodyLength\":").append(bodyLength);
    j.append(",\"bodySha256\":").append(json(hex.toString()));
    j.append(",\"bodyText\":").append(bodyLength > 4096 ? "null"
            : json(new String(head, 0, headLen, java.nio.charset.StandardCharsets.UTF_8)));

    j.append(",\"trailers\":{");
    sep = "";
    if (request.isTrailerFieldsReady()) {
        for (Map.Entry<String, String> e : request.getTrailerFields().entrySet()) {
            j.append(sep).append(json(e.getKey().toLowerCase(Locale.ROOT))).append(':').append(json(e.getValue()));
            sep = ",";
        }
    }
    j.append('}');

    j.append(",\"requestedSessionId\":").append(json(request.getRequestedSessionId()));
    j.append(",\"sessionId\":").append(json(sess == null ? null : sess.getId()));
    j.append("}\n");

    if (sess != null) {
        response.setHeader("X-Session-Id", sess.getId());
    }
    response.setHeader("Cache-Control", "no-store");
    out.write(j.toString());
%>
