// Package api owns wk's object model: the Kubernetes-shaped types (Pod, Deployment, Service, ...),
// their defaults and validation, the registry of kinds and resources, and the strict YAML/JSON
// manifest decoder that reports every problem with its field path and line.
//
// It depends on the standard library and sigs.k8s.io/yaml only, so every other package can use it.
package api
