#!/usr/bin/env bash
# Start-to-ready time and idle RSS of `wk up`, and the binary's size: median of 5 runs.
# Usage: bench/startup.sh [path/to/wk]
set -euo pipefail
wk=${1:-bin/wk}
runs=5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ready_ms=()
rss_kb=()
for i in $(seq 1 $runs); do
  port=$((20000 + RANDOM % 20000))
  echo "run $i/$runs: wk up on 127.0.0.1:$port" >&2
  start=$(date +%s%N)
  "$wk" up --data-dir "$tmp/data$i" --api-addr "127.0.0.1:$port" --config "$tmp/config$i" --log-level error >"$tmp/out$i" 2>&1 &
  pid=$!
  until grep -q "wk is ready" "$tmp/out$i" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$tmp/out$i" >&2; exit 1; }
    sleep 0.005
  done
  ready_ms+=($(( ($(date +%s%N) - start) / 1000000 )))
  sleep 10
  rss_kb+=($(awk '/^VmRSS/ {print $2}' /proc/$pid/status))
  kill $pid; wait $pid 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "wk up start-to-ready: median $(median "${ready_ms[@]}") ms (runs: ${ready_ms[*]})"
echo "wk up idle RSS after 10 s: median $(( $(median "${rss_kb[@]}") / 1024 )) MiB (runs, KiB: ${rss_kb[*]})"
echo "wk binary: $(stat -c %s "$wk" | awk '{printf "%.1f MiB", $1/1048576}') ($wk)"
