#!/usr/bin/env bash
# Per-request CPU and system calls of chosen processes while wrk loads one target: how the
# "Why mod_jk still leads" figures of docs/guide/performance.md were taken.
#
#   bench/process-counters.sh URL SCRIPT PIDS [SECONDS]
#
#   URL      what wrk loads, e.g. http://127.0.0.1:8505/testapp/index.jsp (targets of
#            `node bench/run.mjs --serve --keep-tomcat`)
#   SCRIPT   a wrk script of bench/wrk/ (sticky.lua, upload.lua) or - for none;
#            sticky.lua reads the session cookie from $BENCH_COOKIE
#   PIDS     the processes to measure, comma-separated (all threads of each are counted): the
#            proxy's (httpd: its worker processes) or a Tomcat node's (.run/bench-tomcat/<node>/tomcat.pid)
#   SECONDS  measuring window (5), inside a wrk run 2 s longer, after 2 s of warm-up
#
# Prints user and system CPU per request (from /proc/<pid>/stat), how many cores' worth of time the
# processes' threads spent running and waiting for a CPU (from /proc/<pid>/task/*/schedstat; a
# thread that runs plus waits close to 1.0 core is never idle: it is CPU-bound), and, where
# `perf stat` can read the syscall tracepoints (root), system calls, context switches and
# task-clock per request.
set -euo pipefail
url=${1:?URL}; script=${2:?SCRIPT or -}; pids=${3:?PIDS}; seconds=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
wrk_args=(-t1 -c32)
[[ $script != - ]] && wrk_args+=(-s "$here/wrk/$script")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ticks() { # user and system clock ticks summed over the pids
  local u=0 s=0 a b p
  for p in ${pids//,/ }; do
    read -r a b < <(awk '{print $14, $15}' "/proc/$p/stat")
    u=$((u + a)); s=$((s + b))
  done
  echo "$u $s"
}

schedstat() { # nanoseconds running and waiting on a run queue, summed over all threads of the pids
  local p
  for p in ${pids//,/ }; do cat /proc/"$p"/task/*/schedstat; done | awk '{ r += $1; w += $2 } END { printf "%.0f %.0f\n", r, w }'
}

wrk "${wrk_args[@]}" -d2s "$url" >/dev/null
wrk "${wrk_args[@]}" -d$((seconds + 2))s "$url" >"$out/wrk" &
sleep 1
read -r u0 s0 < <(ticks)
read -r r0 w0 < <(schedstat)
events=raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev
events+=,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_futex,context-switches,task-clock
perf_ok=0
if command -v perf >/dev/null && perf stat -x, -e "$events" -p "$pids" -o "$out/perf" sleep "$seconds" 2>/dev/null; then
  perf_ok=1
else
  sleep "$seconds"
fi
read -r u1 s1 < <(ticks)
read -r r1 w1 < <(schedstat)
wait
rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk")
n=$(awk -v r="$rps" -v s="$seconds" 'BEGIN { print r * s }') # requests in the window
awk -v rps="$rps" -v n="$n" -v du=$((u1 - u0)) -v ds=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
  printf "%.0f req/s; per request: user %.1f us, system %.1f us\n", rps, du / hz / n * 1e6, ds / hz / n * 1e6
}'
awk -v run=$((r1 - r0)) -v waited=$((w1 - w0)) -v s="$seconds" 'BEGIN {
  printf "  threads running %.2f cores, waiting for a CPU %.2f cores\n", run / s / 1e9, waited / s / 1e9
}'
if ((perf_ok)); then
  awk -F, -v n="$n" '
    $1 ~ /^[0-9.]+$/ { name = $3; sub(/^(raw_)?syscalls:sys_enter_?/, "", name); if (name == "") name = "all syscalls"
      if ($3 == "task-clock") printf "  %-18s %8.1f us\n", "task-clock", $1 / n * 1000
      else printf "  %-18s %8.2f\n", name, $1 / n }' "$out/perf"
fi
