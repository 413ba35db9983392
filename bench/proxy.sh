#!/usr/bin/env bash
# Requests per second and p50/p99 latency of one hello pod reached four ways, in one run: directly
# at the pod's address, through nginx (Debian's package) as a reverse proxy, through a NodePort
# Service and through the Ingress listener of `wk up`. Three rounds of `wrk -t2 -c32 -d10s --latency`
# alternating the four; prints each, the medians and the ratios wk/nginx and wk/direct.
# Needs wrk and nginx (apt-get install wrk nginx-light). Usage: bench/proxy.sh [path/to/wk]
set -euo pipefail
cd "$(dirname "$0")/.."
wk=$(realpath "${1:-bin/wk}")
for c in wrk nginx; do command -v $c >/dev/null || { echo "bench/proxy.sh needs $c: apt-get install wrk nginx-light" >&2; exit 1; }; done
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

GOOS=wasip1 GOARCH=wasm go build -trimpath -ldflags '-s -w' -o "$tmp/hello.wasm" ./samples/hello
port() { echo $((20000 + RANDOM % 20000)); }
ingress=$(port); nodeport=$((30000 + RANDOM % 2000)); nginxport=$(port)
export WK_CONFIG="$tmp/config"
"$wk" up --data-dir "$tmp/data" --api-addr "127.0.0.1:$(port)" --ingress-addr "127.0.0.1:$ingress" --node-name bench \
  --log-level error >"$tmp/up.log" 2>&1 &
pids+=($!)
until grep -q "wk is ready" "$tmp/up.log"; do sleep 0.05; done
cat >"$tmp/hello.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels: {app: hello}
spec:
  containers:
  - name: hello
    image: ./hello.wasm
    ports:
    - containerPort: 9876
    readinessProbe:
      httpGet: {path: /health, port: 9876}
---
apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  type: NodePort
  selector: {app: hello}
  ports:
  - port: 80
    targetPort: 9876
    nodePort: $nodeport
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: hello
spec:
  rules:
  - host: hello.bench
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: hello
            port: {number: 80}
YAML
"$wk" apply -f "$tmp/hello.yaml" >&2
until "$wk" get pod hello | grep -q "1/1"; do sleep 0.1; done
until "$wk" get endpoints hello | grep -q ":9876"; do sleep 0.1; done
pod=$("$wk" get pod hello -o json | sed -n 's/.*"podIP": "10\.\([0-9.]*\)".*/127.\1/p')
node=$("$wk" ip)
cat >"$tmp/nginx.conf" <<NGINX
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream hello { server $pod:9876; keepalive 64; }
  server {
    listen 127.0.0.1:$nginxport;
    location / { proxy_pass http://hello; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$tmp/nginx.conf" -p "$tmp"
sleep 0.3

# run NAME URL [wrk args]: prints "rps p50_ms p99_ms".
run() {
  wrk -t2 -c32 -d10s --latency "${@:2}" | awk '
    /Requests\/sec/ {rps=$2}
    $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%d %.2f %.2f\n", rps, ms(p50), ms(p99)}'
}
declare -A res
names=(direct nginx nodeport ingress)
for round in 1 2 3; do
  for n in "${names[@]}"; do
    case $n in
      direct) r=$(run $n "http://$pod:9876/") ;;
      nginx) r=$(run $n "http://127.0.0.1:$nginxport/") ;;
      nodeport) r=$(run $n "http://$node:$nodeport/") ;;
      ingress) r=$(run $n "http://127.0.0.1:$ingress/" -H "Host: hello.bench") ;;
    esac
    echo "round $round $n $r" | awk '{print $1,$2,$3": "$4" req/s, p50 "$5" ms, p99 "$6" ms"}' >&2
    res[$n]+="$r"$'\n'
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-9s %10s %9s %9s\n' WAY "REQ/S" "P50(ms)" "P99(ms)"
for n in "${names[@]}"; do
  rps=$(printf '%s' "${res[$n]}" | awk '{print $1}' | median)
  p50=$(printf '%s' "${res[$n]}" | awk '{print $2}' | median)
  p99=$(printf '%s' "${res[$n]}" | awk '{print $3}' | median)
  printf '%-9s %10s %9s %9s\n' "$n" "$rps" "$p50" "$p99"
  eval "med_$n=$rps"
done
awk -v i="$med_ingress" -v np="$med_nodeport" -v ng="$med_nginx" -v d="$med_direct" 'BEGIN {
  printf "ingress/nginx %.2f  nodeport/nginx %.2f  ingress/direct %.2f  nodeport/direct %.2f\n", i/ng, np/ng, i/d, np/d }'
