#!/usr/bin/env bash
# Failover of a dead node, measured as a user sees it: `wk up --nodes 3` runs 6 replicas of hello;
# the agent process of one node is killed with SIGKILL; the script times how long until the node is
# NotReady and until 6 replicas are Running and Ready on the other nodes. It repeats RUNS times (10)
# on a fresh cluster each time and prints each run and the medians, and the idle RSS of an agent.
#   usage: bench/failover.sh [path/to/wk]
set -euo pipefail
WK=$(realpath "${1:-bin/wk}")
RUNS=${RUNS:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cp "$ROOT/samples/hello/hello.yaml" "$work/hello.yaml"
sed -i 's/replicas: 2/replicas: 6/' "$work/hello.yaml"
(cd "$ROOT" && GOOS=wasip1 GOARCH=wasm go build -o "$work/hello.wasm" ./samples/hello)

now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { print a - b }'; }
# within SECONDS CMD...: runs CMD until it succeeds, failing the script after SECONDS.
within() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || { echo "timed out waiting for: $*" >&2; exit 1; }
    sleep 0.05
  done
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

for i in $(seq 1 "$RUNS"); do
  d="$work/run$i"; mkdir -p "$d"
  "$WK" up --nodes 3 --node-name fo --data-dir "$d/data" --config "$d/config" --api-addr 127.0.0.1:0 \
    --log-level error >"$d/up.out" 2>"$d/up.err" &
  up=$!
  k() { "$WK" --config "$d/config" "$@"; }
  running() { k get pods -o wide 2>/dev/null | grep ' 1/1 .*Running' | grep -v " $1\$" | wc -l; }
  spread() { [ "$(running none)" = 6 ] && k get pods -o wide | grep -q ' fo-m03$'; }
  moved() { [ "$(running fo-m03)" = 6 ]; }
  notready() { k get nodes | grep -q '^fo-m03 .*NotReady'; }
  within 60 grep -q "wk is ready" "$d/up.out"
  if [ "$i" = 1 ]; then
    pid=$(pgrep -f -- "--name fo-m02 ")
    echo "idle agent RSS (fo-m02, no pods): $(($(ps -o rss= -p "$pid") / 1024)) MiB"
  fi
  k apply -f "$work/hello.yaml" >/dev/null
  within 60 spread
  pid=$(pgrep -f -- "--name fo-m03 ")
  t0=$(now)
  kill -9 "$pid"
  within 60 notready
  notready=$(since "$t0")
  within 60 moved
  moved=$(since "$t0")
  printf 'run %2d: NotReady after %.2f s, 6 replicas Running elsewhere after %.2f s\n' "$i" "$notready" "$moved"
  echo "$notready" >>"$work/notready"; echo "$moved" >>"$work/moved"
  kill -INT "$up"; wait "$up" || true
done
echo "median of $RUNS: NotReady after $(median <"$work/notready") s, pods Running elsewhere after $(median <"$work/moved") s"
