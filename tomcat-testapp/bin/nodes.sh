#!/usr/bin/env bash
# Start, stop and inspect the local Tomcat test nodes (TomcatA, TomcatB, ...).
#
#   nodes.sh start   [NODE...]   start nodes (idempotent), wait until HTTP and AJP answer
#   nodes.sh stop    [NODE...]   SIGTERM, then SIGKILL after TOMCAT_STOP_TIMEOUT s; wait for ports
#   nodes.sh restart [NODE...]
#   nodes.sh status  [NODE...]   one line per node; exit 0 only if all of them are running
#   nodes.sh log     NODE        tail of the node's catalina.out
#   nodes.sh stop --all / status --all   every node that has a folder under the run dir
#
# NODE is a name from TOMCAT_NODES (e.g. TomcatA) or an explicit NAME:HTTP_PORT:AJP_PORT
# (e.g. FailA:8181:8109). Without NODE: all of TOMCAT_NODES.
# NAME:HTTP:AJP:HTTPS[:MTLS] also opens HTTPS connectors (TOMCAT_HTTPS_* below): HTTPS serves
# TLS with TOMCAT_HTTPS_CERT/KEY; MTLS does too and requires a client certificate.
#
# Environment (defaults in brackets), see tomcat-testapp/README.md:
#   TOMCAT_NODES        ["TomcatA:8081:8009 TomcatB:8082:8010"]  NAME:HTTP:AJP, NAME = jvmRoute
#   TOMCAT_RUN_DIR      [<repo>/.run/tomcat]  one CATALINA_BASE per node below it
#   TOMCAT_AJP_SECRET   [sticky-balancer-dev-secret]
#   TOMCAT_PACKET_SIZE  [8192]  AJP packetSize (8192..65536)
#   TOMCAT_AJP_ALLOWED_ATTRIBUTES [""]  regex: extra AJP request attributes Tomcat accepts
#   TOMCAT_MAX_THREADS  [200]   TOMCAT_MAX_KEEPALIVE_REQUESTS [100]   TOMCAT_ACCESS_LOG [0]
#   TOMCAT_ALLOWED_TRAILERS [x-checksum,x-trailer,server-timing]  request trailers Tomcat keeps
#   TOMCAT_EXAMPLES     [0]     1 = also deploy Debian's examples webapp at /examples
#   TOMCAT_REMOTE_IP    [0]     1 = add a RemoteIpValve that believes X-Forwarded-For/-Proto/-Host/-Port
#                               from 127.0.0.1 (a node behind a TLS-terminating proxy)
#   TOMCAT_EXAMPLES_DIR [/usr/share/tomcat10-examples/examples]
#   TOMCAT_JAVA_OPTS    [-Xms64m -Xmx512m -Xss512k -XX:+UseSerialGC ...]  JVM options of the nodes
#   TOMCAT_START_TIMEOUT [60]  TOMCAT_STOP_TIMEOUT [10]  seconds
#   TOMCAT_HTTPS_CERT   []      PEM certificate (chain) of the HTTPS connectors; needed with an HTTPS port
#   TOMCAT_HTTPS_KEY    []      its PEM private key (unencrypted)
#   TOMCAT_HTTPS_CLIENT_CA []   PEM CA(s) the MTLS connector trusts for client certificates
#   TOMCAT_AUTO_INSTALL [1]     as root, apt-get install tomcat10 when Java/Tomcat is missing
#   CATALINA_HOME       [/usr/share/tomcat10]
#
# Exit codes: 0 ok, 1 failure, 2 usage error, 3 Java/Tomcat missing (install command printed).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTAPP_DIR=$(dirname "$SCRIPT_DIR")
REPO_ROOT=$(dirname "$TESTAPP_DIR")

CATALINA_HOME=${CATALINA_HOME:-/usr/share/tomcat10}
RUN_DIR=$(realpath -m -- "${TOMCAT_RUN_DIR:-$REPO_ROOT/.run/tomcat}")
NODES=${TOMCAT_NODES:-TomcatA:8081:8009 TomcatB:8082:8010}
AJP_SECRET=${TOMCAT_AJP_SECRET:-sticky-balancer-dev-secret}
PACKET_SIZE=${TOMCAT_PACKET_SIZE:-8192}
AJP_ALLOWED_ATTRS=${TOMCAT_AJP_ALLOWED_ATTRIBUTES:-}
MAX_THREADS=${TOMCAT_MAX_THREADS:-200}
MAX_KEEPALIVE=${TOMCAT_MAX_KEEPALIVE_REQUESTS:-100}
ACCESS_LOG=${TOMCAT_ACCESS_LOG:-0}
ALLOWED_TRAILERS=${TOMCAT_ALLOWED_TRAILERS:-x-checksum,x-trailer,server-timing}
EXAMPLES=${TOMCAT_EXAMPLES:-0}
REMOTE_IP=${TOMCAT_REMOTE_IP:-0}
EXAMPLES_DIR=${TOMCAT_EXAMPLES_DIR:-/usr/share/tomcat10-examples/examples}
START_TIMEOUT=${TOMCAT_START_TIMEOUT:-60}
STOP_TIMEOUT=${TOMCAT_STOP_TIMEOUT:-10}
AUTO_INSTALL=${TOMCAT_AUTO_INSTALL:-1}
HTTPS_CERT=${TOMCAT_HTTPS_CERT:-}
HTTPS_KEY=${TOMCAT_HTTPS_KEY:-}
HTTPS_CLIENT_CA=${TOMCAT_HTTPS_CLIENT_CA:-}
DEFAULT_JAVA_OPTS="-Xms64m -Xmx512m -Xss512k -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"
NODE_JAVA_OPTS=${TOMCAT_JAVA_OPTS:-$DEFAULT_JAVA_OPTS}
INSTALL_HINT="sudo apt-get update && sudo apt-get install -y tomcat10"
# Pages compiled right after start, so that the first test request does not pay for Jasper.
PRECOMPILE_PAGES="echo.jsp redirect.jsp cookies.jsp status.jsp slow.jsp big.jsp"

say() { printf '%s\n' "$*"; }
warn() { printf 'nodes.sh: %s\n' "$*" >&2; }
die() {
  warn "$*"
  exit 1
}
usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
now() { printf '%s' "${EPOCHREALTIME/[.,]/}"; } # microseconds
elapsed() { # start_us -> "1.23s"
  local us=$(($(now) - $1))
  printf '%d.%02ds' $((us / 1000000)) $((us % 1000000 / 10000))
}

# ---------------------------------------------------------------------------- prerequisites

tomcat_conf_dir() { # where the distribution keeps its default web.xml / catalina.properties
  local d
  for d in "$CATALINA_HOME/conf" "$CATALINA_HOME/etc" /etc/tomcat10; do
    if [[ -f $d/web.xml && -f $d/catalina.properties ]]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

have_tomcat() {
  command -v java >/dev/null 2>&1 &&
    [[ -x $CATALINA_HOME/bin/catalina.sh && -f $CATALINA_HOME/lib/catalina.jar ]] &&
    tomcat_conf_dir >/dev/null
}

apt_install() { # package... ; only as root with TOMCAT_AUTO_INSTALL != 0
  [[ $(id -u) == 0 && $AUTO_INSTALL != 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
  warn "installing $* with apt-get (set TOMCAT_AUTO_INSTALL=0 to prevent this)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "$@" >&2 || { apt-get update >&2 && apt-get install -y "$@" >&2; }
}

ensure_tomcat() {
  have_tomcat && return 0
  if [[ $CATALINA_HOME == /usr/share/tomcat10 ]]; then
    apt_install tomcat10 || true
    have_tomcat && return 0
  fi
  warn "Java and Apache Tomcat 10 are required (CATALINA_HOME=$CATALINA_HOME). Install them with:"
  printf '%s\n' "$INSTALL_HINT" >&2
  exit 3
}

ensure_examples() {
  [[ $EXAMPLES == 1 ]] || return 0
  [[ -d $EXAMPLES_DIR ]] && return 0
  apt_install tomcat10-examples || true
  [[ -d $EXAMPLES_DIR ]] && return 0
  warn "TOMCAT_EXAMPLES=1 but $EXAMPLES_DIR is missing. Install it with:"
  printf '%s\n' "sudo apt-get update && sudo apt-get install -y tomcat10-examples" >&2
  exit 3
}

check_settings() {
  if ! [[ $PACKET_SIZE =~ ^[0-9]+$ ]] || ((PACKET_SIZE < 8192 || PACKET_SIZE > 65536)); then
    die "TOMCAT_PACKET_SIZE must be 8192..65536, got '$PACKET_SIZE'"
  fi
  [[ $MAX_THREADS =~ ^[0-9]+$ ]] || die "TOMCAT_MAX_THREADS must be a number"
  [[ $MAX_KEEPALIVE =~ ^-?[0-9]+$ ]] || die "TOMCAT_MAX_KEEPALIVE_REQUESTS must be a number"
  [[ $START_TIMEOUT =~ ^[0-9]+$ && $STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "timeouts must be whole seconds"
  [[ $AJP_SECRET =~ ^[[:print:]]+$ ]] || die "TOMCAT_AJP_SECRET must be printable text"
}

# ---------------------------------------------------------------------------- node specs

# Selected nodes, parallel arrays.
SEL_NAME=()
SEL_HTTP=()
SEL_AJP=()
SEL_HTTPS=() # '' when the node has no HTTPS connector
SEL_MTLS=()  # '' when the node has no client-certificate connector

add_spec() { # NAME:HTTP:AJP[:HTTPS[:MTLS]]
  local spec=$1 name http ajp https mtls
  [[ $spec =~ ^([A-Za-z0-9_-]+):([0-9]{1,5}):([0-9]{1,5})(:([0-9]{1,5}))?(:([0-9]{1,5}))?$ ]] ||
    die "bad node spec '$spec' (want NAME:HTTP_PORT:AJP_PORT[:HTTPS_PORT[:MTLS_PORT]])"
  name=${BASH_REMATCH[1]} http=${BASH_REMATCH[2]} ajp=${BASH_REMATCH[3]} https=${BASH_REMATCH[5]} mtls=${BASH_REMATCH[7]}
  ((http > 0 && http < 65536 && ajp > 0 && ajp < 65536 && http != ajp)) || die "bad ports in '$spec'"
  if [[ -n $https ]]; then
    ((https > 0 && https < 65536 && https != http && https != ajp)) || die "bad HTTPS port in '$spec'"
  fi
  if [[ -n $mtls ]]; then
    ((mtls > 0 && mtls < 65536 && mtls != http && mtls != ajp && mtls != https)) || die "bad MTLS port in '$spec'"
  fi
  SEL_NAME+=("$name")
  SEL_HTTP+=("$http")
  SEL_AJP+=("$ajp")
  SEL_HTTPS+=("$https")
  SEL_MTLS+=("$mtls")
}

select_nodes() { # [NAME | NAME:HTTP:AJP]...
  local arg spec found
  if (($# == 0)); then
    for spec in $NODES; do add_spec "$spec"; done
    return 0
  fi
  for arg in "$@"; do
    if [[ $arg == *:* ]]; then
      add_spec "$arg"
      continue
    fi
    found=
    for spec in $NODES; do
      if [[ ${spec%%:*} == "$arg" ]]; then
        add_spec "$spec"
        found=1
      fi
    done
    [[ -n $found ]] || die "unknown node '$arg' (TOMCAT_NODES='$NODES'; or pass NAME:HTTP_PORT:AJP_PORT)"
  done
}

select_all_bases() { # every node folder under the run dir (ports read back from its config)
  local props name http ajp https mtls
  for props in "$RUN_DIR"/*/conf/catalina.properties; do
    [[ -f $props ]] || continue
    name=$(basename "$(dirname "$(dirname "$props")")")
    http=$(sed -n 's/^sb\.http\.port=//p' "$props")
    ajp=$(sed -n 's/^sb\.ajp\.port=//p' "$props")
    https=$(sed -n 's/^sb\.https\.port=//p' "$props")
    mtls=$(sed -n 's/^sb\.mtls\.port=//p' "$props")
    [[ -n $http && -n $ajp ]] && add_spec "$name:$http:$ajp${https:+:$https}${mtls:+:$mtls}"
  done
  return 0
}

# ---------------------------------------------------------------------------- probes

port_open() { # port -> 0 if something accepts TCP connections on 127.0.0.1:port
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

ajp_cping() { # port -> 0 if an AJP13 CPing is answered with CPong (the connector really serves AJP)
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "\x12\x34\x00\x01\x0a" >&3
    [[ $(head -c 5 <&3 | od -An -tx1 | tr -d " \n") == 4142000109 ]]' "$1" 2>/dev/null
}

http_get() { # port path timeout -> raw response on stdout (dependency-free: no curl needed)
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout "$3" bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: nodes.sh\r\nConnection: close\r\n\r\n" "$1" "$0" >&3
    cat <&3' "$1" "$2" 2>/dev/null
}

probe_node() { # name http_port [timeout] -> 0 our node answers, 1 no answer, 2 something else answered
  local resp
  resp=$(http_get "$2" "/testapp/index.jsp?format=json" "${3:-5}") || return 1
  [[ -n $resp ]] || return 1
  [[ $resp == "HTTP/1.1 200"* && $resp == *"\"node\":\"$1\""* ]] && return 0
  PROBE_RESPONSE=$resp
  return 2
}

pid_alive() { # pid -> 0 if running (zombies count as dead)
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $state != Z ]]
}

node_pid() { # base -> pid of the Tomcat running from this base (pid file, else listening socket)
  local base=$1 http=$2 pid='' cmdline
  if [[ -s $base/tomcat.pid ]]; then
    pid=$(<"$base/tomcat.pid")
  elif command -v ss >/dev/null 2>&1; then
    pid=$(ss -Hltnp "sport = :$http" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
  fi
  [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  # guard against pid reuse: the process must be a Tomcat started with this CATALINA_BASE
  cmdline=$(tr "\0" "\n" <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  grep -qxF -- "-Dcatalina.base=$base" <<<"$cmdline" || return 1
  printf '%s\n' "$pid"
}

log_tail() { # base
  local out=$1/logs/catalina.out
  if [[ -f $out ]]; then
    warn "---- last lines of $out ----"
    tail -n 40 "$out" >&2
    warn "----"
  fi
}

lock_node() { # name -> holds fd 9 until the calling (sub)shell exits
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.$1.lock"
  flock -w $((START_TIMEOUT + STOP_TIMEOUT + 30)) 9 || die "$1: could not lock $RUN_DIR/.$1.lock"
}

# ---------------------------------------------------------------------------- start

pattern_file() { # 1 MiB of byte[i] = i % 251, cached in the run dir
  local out=$RUN_DIR/.cache/1m.bin size=1048576 tmp block='' i
  if [[ ! -f $out || $(stat -c %s "$out") != "$size" ]]; then
    mkdir -p "$RUN_DIR/.cache"
    for ((i = 0; i < 251; i++)); do block+=$(printf '\\%03o' "$i"); done
    tmp=$(mktemp "$out.XXXXXX")
    # shellcheck disable=SC2059 # the format is the escaped byte sequence
    printf "$block" >"$tmp"
    while (($(stat -c %s "$tmp") < size)); do
      cat "$tmp" "$tmp" >"$tmp.2"
      mv "$tmp.2" "$tmp"
    done
    # Nodes start in parallel: the file appears whole (rename), never half-written under a node
    # that is copying it.
    head -c "$size" "$tmp" >"$tmp.out"
    mv -f "$tmp.out" "$out"
    rm -f "$tmp"
  fi
  printf '%s\n' "$out"
}

node_settings() { # name http ajp https mtls -> the settings a node is started with (see check_settings_unchanged)
  printf '%s\n' "node=$1 http=$2 ajp=$3 https=${4:-} mtls=${5:-} packetSize=$PACKET_SIZE maxThreads=$MAX_THREADS" \
    "maxKeepAlive=$MAX_KEEPALIVE accessLog=$ACCESS_LOG trailers=$ALLOWED_TRAILERS examples=$EXAMPLES remoteIp=$REMOTE_IP allowedAttrs=$AJP_ALLOWED_ATTRS" \
    "javaOpts=$NODE_JAVA_OPTS secret-sha256=$(printf '%s' "$AJP_SECRET" | sha256sum | cut -c1-16)"
}

check_settings_unchanged() { # name http ajp -> warns if a running node was started with other settings
  local file=$RUN_DIR/$1/.settings
  if [[ -f $file && $(<"$file") != "$(node_settings "$@")" ]]; then
    warn "$1: running with different settings than requested (TOMCAT_* variables); use 'nodes.sh restart $1' to apply them"
  fi
  return 0
}

https_connector() { # port clientAuth(0/1) -> one HTTPS <Connector> on the PEM files copied to conf/tls/
  local verify='certificateVerification="none"'
  # Without tomcat-native, JSSE takes the client CAs from a trust store (caCertificateFile is not
  # used for client certificates), so the PEM CAs are imported into a PKCS12 one (client_truststore).
  [[ $2 == 1 ]] && verify='certificateVerification="required" truststoreFile="${catalina.base}/conf/tls/client-ca.p12" truststoreType="PKCS12" truststorePassword="sticky-balancer"'
  cat <<XML
    <Connector protocol="org.apache.coyote.http11.Http11NioProtocol"
               address="127.0.0.1" port="$1" SSLEnabled="true" scheme="https" secure="true"
               connectionTimeout="20000" keepAliveTimeout="20000"
               maxKeepAliveRequests="\${sb.maxKeepAlive}" maxThreads="\${sb.maxThreads}"
               maxPostSize="67108864" maxSwallowSize="-1" URIEncoding="UTF-8">
      <SSLHostConfig protocols="TLSv1.2+TLSv1.3" $verify>
        <Certificate certificateFile="\${catalina.base}/conf/tls/server.pem"
                     certificateKeyFile="\${catalina.base}/conf/tls/server.key" />
      </SSLHostConfig>
    </Connector>
XML
}

client_truststore() { # pem p12 -> a PKCS12 trust store holding every certificate of pem
  local pem=$1 p12=$2 dir n=0 cert
  command -v keytool >/dev/null 2>&1 || die "keytool (from the JDK) is needed for an MTLS port"
  dir=$(mktemp -d)
  awk -v dir="$dir" '/-----BEGIN CERTIFICATE-----/ { n++ } n { print > (dir "/" n ".pem") }' "$pem"
  rm -f "$p12"
  for cert in "$dir"/*.pem; do
    [[ -f $cert ]] || continue
    n=$((n + 1))
    keytool -importcert -noprompt -storetype PKCS12 -keystore "$p12" -storepass sticky-balancer -alias "ca$n" -file "$cert" >/dev/null 2>&1 ||
      die "keytool could not import a certificate of TOMCAT_HTTPS_CLIENT_CA"
  done
  rm -rf "$dir"
  ((n > 0)) || die "TOMCAT_HTTPS_CLIENT_CA holds no PEM certificate"
}

prepare_tls() { # base https mtls -> copies the PEM files, writes the connectors into server.xml
  local base=$1 https=$2 mtls=$3 connectors=$1/conf/https-connectors.xml
  [[ -n $https || -n $mtls ]] || return 0
  [[ -r $HTTPS_CERT && -r $HTTPS_KEY ]] || die "an HTTPS port needs TOMCAT_HTTPS_CERT and TOMCAT_HTTPS_KEY (PEM files)"
  [[ -z $mtls || -r $HTTPS_CLIENT_CA ]] || die "an MTLS port needs TOMCAT_HTTPS_CLIENT_CA (PEM file)"
  (
    umask 077
    mkdir -p "$base/conf/tls"
    cp "$HTTPS_CERT" "$base/conf/tls/server.pem"
    cp "$HTTPS_KEY" "$base/conf/tls/server.key"
    [[ -z $mtls ]] || client_truststore "$HTTPS_CLIENT_CA" "$base/conf/tls/client-ca.p12"
  )
  {
    [[ -z $https ]] || https_connector "$https" 0
    [[ -z $mtls ]] || https_connector "$mtls" 1
  } >"$connectors"
  sed -i -e "/^    <!-- @HTTPS_CONNECTORS@ -->\$/{r $connectors" -e 'd}' "$base/conf/server.xml"
}

prepare_base() { # name http ajp https mtls -> (re)writes the node's CATALINA_BASE
  local name=$1 http=$2 ajp=$3 https=${4:-} mtls=${5:-} base=$RUN_DIR/$1 confdir secret
  confdir=$(tomcat_conf_dir)
  mkdir -p "$base"/{conf,logs,temp,work,webapps}
  rm -rf "$base/conf/tls"
  cp "$TESTAPP_DIR"/conf/{context.xml,logging.properties,tomcat-users.xml} "$base/conf/"
  if [[ $REMOTE_IP == 1 ]]; then
    sed "s|<!-- @REMOTE_IP_VALVE@ -->|$(tr -d '\n' <"$TESTAPP_DIR/conf/remote-ip-valve.xml" | sed 's/[\\&|]/\\&/g')|" "$TESTAPP_DIR/conf/server.xml" >"$base/conf/server.xml"
  else
    cp "$TESTAPP_DIR/conf/server.xml" "$base/conf/server.xml"
  fi
  prepare_tls "$base" "$https" "$mtls"
  cp "$confdir/web.xml" "$base/conf/web.xml"
  secret=${AJP_SECRET//\\/\\\\} # properties-file escaping
  (
    umask 077
    cat "$confdir/catalina.properties"
    printf '\n# ---- sticky-balancer test node, written by tomcat-testapp/bin/nodes.sh ----\n'
    printf 'sb.node=%s\n' "$name"
    printf 'sb.http.port=%s\n' "$http"
    printf 'sb.ajp.port=%s\n' "$ajp"
    [[ -z $https ]] || printf 'sb.https.port=%s\n' "$https"
    [[ -z $mtls ]] || printf 'sb.mtls.port=%s\n' "$mtls"
    printf 'sb.ajp.secret=%s\n' "$secret"
    printf 'sb.ajp.packetSize=%s\n' "$PACKET_SIZE"
    printf 'sb.ajp.allowedAttrs=%s\n' "${AJP_ALLOWED_ATTRS//\\/\\\\}"
    printf 'sb.maxThreads=%s\n' "$MAX_THREADS"
    printf 'sb.maxKeepAlive=%s\n' "$MAX_KEEPALIVE"
    printf 'sb.http.trailers=%s\n' "$ALLOWED_TRAILERS"
    printf 'sb.accessLog=%s\n' "$([[ $ACCESS_LOG == 1 ]] && echo true || echo false)"
  ) >"$base/conf/catalina.properties"
  chmod 600 "$base/conf/catalina.properties"
  node_settings "$name" "$http" "$ajp" "$https" "$mtls" >"$base/.settings"

  rm -f "$base/conf/Catalina/localhost/examples.xml"
  if [[ $EXAMPLES == 1 ]]; then
    mkdir -p "$base/conf/Catalina/localhost"
    sed "s|@EXAMPLES_DIR@|$EXAMPLES_DIR|" "$TESTAPP_DIR/conf/examples.xml" >"$base/conf/Catalina/localhost/examples.xml"
  fi

  # cp -a keeps the sources' timestamps, so JSPs compiled by an earlier run (work/) stay valid
  rm -rf "$base/webapps/testapp"
  cp -a "$TESTAPP_DIR/webapp/testapp" "$base/webapps/testapp"
  cp "$(pattern_file)" "$base/webapps/testapp/1m.bin"

  if [[ -f $base/logs/catalina.out ]]; then
    mv -f "$base/logs/catalina.out" "$base/logs/catalina.out.prev"
  fi
}

launch() { # name base -> starts catalina.sh in its own session, fd 9 (the lock) closed
  local name=$1 base=$2 detach=()
  command -v setsid >/dev/null 2>&1 && detach=(setsid --wait)
  (
    cd "$base"
    export CATALINA_HOME CATALINA_BASE="$base" CATALINA_PID="$base/tomcat.pid"
    export CATALINA_OUT="$base/logs/catalina.out" CATALINA_TMPDIR="$base/temp"
    export CATALINA_OPTS="$NODE_JAVA_OPTS ${CATALINA_OPTS:-}" NODE_NAME="$name"
    "${detach[@]}" "$CATALINA_HOME/bin/catalina.sh" start </dev/null >>"$base/logs/nodes.log" 2>&1 9>&-
  )
}

wait_ready() { # name http ajp pid base -> 0 once HTTP index.jsp and the AJP port answer
  local name=$1 http=$2 ajp=$3 pid=$4 base=$5 deadline rc
  deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! pid_alive "$pid"; then
      warn "$name: Tomcat (pid $pid) exited during start-up"
      return 1
    fi
    if grep -q 'Failed to start component \[Connector' "$base/logs/catalina.out" 2>/dev/null; then
      warn "$name: a connector failed to start"
      return 1
    fi
    if ajp_cping "$ajp"; then
      rc=0
      probe_node "$name" "$http" 15 || rc=$?
      if ((rc == 0)); then
        return 0
      elif ((rc == 2)); then
        warn "$name: unexpected answer from http://127.0.0.1:$http/testapp/index.jsp?format=json:"
        printf '%s\n' "${PROBE_RESPONSE:0:2000}" >&2
        return 1
      fi
    fi
    sleep 0.25
  done
  warn "$name: not ready after ${START_TIMEOUT}s (HTTP $http, AJP $ajp)"
  return 1
}

precompile() { # http_port
  local page
  for page in $PRECOMPILE_PAGES; do
    http_get "$1" "/testapp/$page?jsp_precompile=true" 30 >/dev/null &
  done
  wait || true
}

start_node() { # name http ajp https mtls
  local name=$1 http=$2 ajp=$3 https=${4:-} mtls=${5:-} base=$RUN_DIR/$1 t0 pid rc port
  t0=$(now)
  lock_node "$name"
  if pid=$(node_pid "$base" "$http"); then
    if ajp_cping "$ajp" && probe_node "$name" "$http" 15; then
      check_settings_unchanged "$name" "$http" "$ajp" "$https" "$mtls"
      say "$name: already running (pid $pid, http://127.0.0.1:$http, ajp://127.0.0.1:$ajp)"
      return 0
    fi
    say "$name: process $pid exists but is not ready yet; waiting"
  else
    rc=0
    probe_node "$name" "$http" 5 || rc=$?
    if ((rc == 0)) && ajp_cping "$ajp"; then
      say "$name: already running (not from $base; http://127.0.0.1:$http, ajp://127.0.0.1:$ajp)"
      return 0
    fi
    if ((rc != 1)) || port_open "$ajp"; then
      warn "$name: port $http or $ajp on 127.0.0.1 is already used by another process:"
      command -v ss >/dev/null 2>&1 && ss -Hltnp "( sport = :$http or sport = :$ajp )" >&2
      return 1
    fi
    rm -f "$base/tomcat.pid"
    prepare_base "$name" "$http" "$ajp" "$https" "$mtls"
    launch "$name" "$base" || {
      warn "$name: catalina.sh start failed:"
      tail -n 20 "$base/logs/nodes.log" >&2
      return 1
    }
    pid=$(<"$base/tomcat.pid") || {
      warn "$name: catalina.sh wrote no pid file"
      return 1
    }
  fi
  if ! wait_ready "$name" "$http" "$ajp" "$pid" "$base"; then
    log_tail "$base"
    return 1
  fi
  for port in $https $mtls; do
    port_open "$port" || {
      warn "$name: HTTPS port $port does not accept connections"
      log_tail "$base"
      return 1
    }
  done
  precompile "$http"
  say "$name: started in $(elapsed "$t0") (pid $pid, http://127.0.0.1:$http/testapp/, ajp://127.0.0.1:$ajp, base $base)"
}

# ---------------------------------------------------------------------------- stop / status

wait_ports_closed() { # seconds port...
  local deadline=$((SECONDS + $1)) port busy
  shift
  while :; do
    busy=
    for port in "$@"; do
      if port_open "$port"; then busy=$port; fi
    done
    [[ -z $busy ]] && return 0
    ((SECONDS < deadline)) || {
      warn "port $busy is still open"
      return 1
    }
    sleep 0.2
  done
}

stop_node() { # name http ajp https mtls
  local name=$1 http=$2 ajp=$3 https=${4:-} mtls=${5:-} base=$RUN_DIR/$1 t0 pid deadline
  t0=$(now)
  lock_node "$name"
  if ! pid=$(node_pid "$base" "$http"); then
    rm -f "$base/tomcat.pid"
    if port_open "$http" || port_open "$ajp"; then
      warn "$name: not running from $base, but port $http or $ajp is in use by another process (left alone)"
      return 1
    fi
    say "$name: not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if pid_alive "$pid"; then
    warn "$name: pid $pid still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  fi
  pid_alive "$pid" && die "$name: pid $pid does not die"
  rm -f "$base/tomcat.pid"
  # shellcheck disable=SC2086 # the HTTPS ports are absent when empty
  wait_ports_closed 10 "$http" "$ajp" $https $mtls || return 1
  say "$name: stopped in $(elapsed "$t0") (pid $pid)"
}

status_node() { # name http ajp -> 0 if running and answering
  local name=$1 http=$2 ajp=$3 base=$RUN_DIR/$1 pid h=down a=down rc=0
  probe_node "$name" "$http" 5 || rc=$?
  case $rc in 0) h=up ;; 2) h=unexpected-answer ;; esac
  if ajp_cping "$ajp"; then a=up; elif port_open "$ajp"; then a=no-cpong; fi
  if pid=$(node_pid "$base" "$http"); then
    if [[ $h == up && $a == up ]]; then
      say "$name: running  pid $pid  http://127.0.0.1:$http ($h)  ajp://127.0.0.1:$ajp ($a)  base $base"
      return 0
    fi
    say "$name: starting/unhealthy  pid $pid  http://127.0.0.1:$http ($h)  ajp://127.0.0.1:$ajp ($a)"
  elif [[ $h == up && $a == up ]]; then
    say "$name: running (foreign process)  http://127.0.0.1:$http ($h)  ajp://127.0.0.1:$ajp ($a)"
    return 0
  elif [[ $h != down || $a != down ]]; then
    say "$name: stopped, but ports in use  http $http ($h)  ajp $ajp ($a)"
  else
    say "$name: stopped"
  fi
  return 1
}

# ---------------------------------------------------------------------------- main

for_each_node() { # function parallel(0/1) -> runs function for every selected node
  local fn=$1 parallel=$2 i failed=0 pids=()
  for i in "${!SEL_NAME[@]}"; do
    if ((parallel)); then
      ("$fn" "${SEL_NAME[$i]}" "${SEL_HTTP[$i]}" "${SEL_AJP[$i]}" "${SEL_HTTPS[$i]}" "${SEL_MTLS[$i]}") &
      pids+=($!)
    else
      ("$fn" "${SEL_NAME[$i]}" "${SEL_HTTP[$i]}" "${SEL_AJP[$i]}" "${SEL_HTTPS[$i]}" "${SEL_MTLS[$i]}") || failed=$((failed + 1))
    fi
  done
  for i in "${pids[@]}"; do
    wait "$i" || failed=$((failed + 1))
  done
  ((failed == 0))
}

main() {
  (($# >= 1)) || usage
  local cmd=$1 t0
  shift
  t0=$(now)
  if [[ ${1:-} == --all ]]; then
    [[ $cmd == stop || $cmd == status ]] || usage
    select_all_bases
  else
    select_nodes "$@"
  fi
  ((${#SEL_NAME[@]} > 0)) || {
    say "no nodes"
    return 0
  }
  case $cmd in
  start)
    check_settings
    ensure_tomcat
    ensure_examples
    for_each_node start_node 1 || die "start failed (logs under $RUN_DIR/<node>/logs/)"
    say "all nodes up ($(elapsed "$t0"))"
    ;;
  stop) for_each_node stop_node 1 ;;
  restart)
    check_settings
    ensure_tomcat
    ensure_examples
    for_each_node stop_node 1
    for_each_node start_node 1 || die "start failed (logs under $RUN_DIR/<node>/logs/)"
    ;;
  status) for_each_node status_node 0 ;;
  log)
    ((${#SEL_NAME[@]} == 1)) || die "log takes one node"
    tail -n 100 "$RUN_DIR/${SEL_NAME[0]}/logs/catalina.out"
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
  esac
}

main "$@"
