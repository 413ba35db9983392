// Package bench holds wk's end-to-end benchmarks: the API server's durable write throughput and
// watch latency over real HTTP, and (startup.sh) the start-to-ready time and idle memory of wk up.
// Nothing imports it; run it with `make bench`.
package bench
