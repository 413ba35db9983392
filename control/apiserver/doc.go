// Package apiserver serves wk's Kubernetes-style REST API over the store: typed objects under
// /api/v1 and /apis/GROUP/VERSION, list and watch with label and field selectors, create, update,
// status updates, server-side apply and delete with optimistic concurrency, a blob endpoint for
// wasm modules, and bearer-token authentication on every call but health.
package apiserver
