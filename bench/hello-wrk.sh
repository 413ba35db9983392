#!/usr/bin/env bash
# Requests per second of one Go hello pod under wrk, against the same program built natively, in
# one run: three rounds alternating the two, medians and their ratio. Needs wrk (apt-get install wrk).
# Usage: bench/hello-wrk.sh [path/to/wk]
set -euo pipefail
cd "$(dirname "$0")/.."
wk=${1:-bin/wk}
command -v wrk >/dev/null || { echo "bench/hello-wrk.sh needs wrk: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

echo "building hello for wasip1 and natively" >&2
GOOS=wasip1 GOARCH=wasm go build -trimpath -ldflags '-s -w' -o "$tmp/hello.wasm" ./samples/hello
go build -trimpath -ldflags '-s -w' -o "$tmp/hello-native" ./samples/hello

port=$((20000 + RANDOM % 20000))
export WK_CONFIG="$tmp/config"
"$wk" up --data-dir "$tmp/data" --api-addr "127.0.0.1:$port" --node-name bench --log-level error >"$tmp/up.log" 2>&1 &
pids+=($!)
until grep -q "wk is ready" "$tmp/up.log"; do sleep 0.05; done
cat >"$tmp/hello.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  nodeName: bench
  containers:
  - name: hello
    image: ./hello.wasm
    ports:
    - containerPort: 9876
    readinessProbe:
      httpGet: {path: /health, port: 9876}
YAML
"$wk" apply -f "$tmp/hello.yaml" >&2
until "$wk" get pod hello | grep -q "1/1"; do sleep 0.1; done
ip=$("$wk" get pod hello -o json | sed -n 's/.*"podIP": "10\.\([0-9.]*\)".*/127.\1/p')
HELLO_ADDR=127.0.0.1 "$tmp/hello-native" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

rps() { wrk -t2 -c32 -d10s "$1" | awk '/Requests\/sec/ {print int($2)}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pod=() native=()
for round in 1 2 3; do
  echo "round $round/3: wrk -t2 -c32 -d10s against the pod ($ip) and the native program" >&2
  pod+=($(rps "http://$ip:9876/"))
  native+=($(rps "http://127.0.0.1:9876/"))
done
p=$(median "${pod[@]}"); n=$(median "${native[@]}")
echo "hello pod (wasm):  median $p req/s (rounds: ${pod[*]})"
echo "hello native:      median $n req/s (rounds: ${native[*]})"
awk -v p="$p" -v n="$n" 'BEGIN {printf "wasm/native:       %.2f\n", p/n}'
