// Package runc holds the parts of the node agent's runtime for Linux OCI images, the ones that are
// not wasm modules; the node package's runc driver ties them together (docs/runc.md).
//
//   - Unpack and RootfsFor turn a go-containerregistry v1.Image into a root filesystem on disk:
//     layers applied in order, OCI whiteouts honoured, entries that would escape the rootfs refused,
//     and the result renamed into place only when complete. RootfsFor caches one rootfs per image
//     config digest.
//   - Spec builds the OCI runtime config (config.json) for one container from plain inputs: the
//     image config, the container's Kubernetes-style overrides, the pod's hostname, volumes, network
//     namespace and limits, on top of runc's own defaults; WriteBundle writes it.
//   - Runtime drives the runc CLI for one container: create (stdio to files), start, state, kill,
//     delete, exec, and Wait, which reaps the container's init as the agent is its subreaper and so
//     knows its exit code.
//   - Network gives each pod a network namespace, /run/netns/<name>-<pod UID>, on the node's
//     bridge, by running the CNI plugins loopback, bridge and host-local (Debian's
//     containernetworking-plugins) directly, as the CNI spec 1.0.0 describes: no libcni. The pod's
//     address is the caller's choice, so host-local's range is that one address; Setup adopts a
//     namespace that already holds it, as a restarted agent finds its running pods.
//   - MountOverlay gives each container its own writable rootfs over the cached one.
//
// Not done: user names, which need a lookup in the image's /etc/passwd.
package runc
