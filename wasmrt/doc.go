// Package wasmrt runs WebAssembly modules for wk's node agent. It is the only
// package that imports wazero, and it knows nothing of the control plane.
//
// A Runtime compiles a module once per digest, in memory and in wazero's
// on-disk compilation cache. A Sandbox is a pod: the modules started in it
// (its containers) share volumes, the pod's loopback address and its ports.
// Each Process is one module instance with its own arguments, environment,
// stdio, memory limit and exit status.
//
// The pod's network namespace is made in user space:
//   - Inbound: every containerPort is a listening socket that wasmrt opens on
//     the pod's address before the module starts. The guest finds it in
//     WK_LISTEN_FDS=PORT=FD[,PORT=FD...], in declared order; the descriptors
//     follow stdio (0-2), the volumes in mount order and /net. Listeners
//     start blocking, as systemd's socket activation passes them; a guest
//     that serves many connections sets them non-blocking.
//   - Outbound: opening /net/tcp/HOST:PORT read-write yields a connected
//     stream socket dialled through the sandbox's Dialer. localhost and
//     127.0.0.1 mean the pod's own address, so modules of a pod reach each
//     other's ports.
//   - Names: opening /net/dns/NAME read-only and reading it gives the
//     addresses NAME resolves to, one a line, looked up on the host through
//     the sandbox's Resolver (the node's cluster DNS). localhost is the
//     pod's own address and an IP literal is itself; a name that does not
//     resolve fails the open with ENOENT, other failures with EIO.
//
// Where wasmrt departs from wazero's defaults, and why:
//   - Sockets: wazero's socket files need host descriptors and wazero opens
//     listeners itself. wasmrt owns every socket as a Go net.Listener or
//     net.Conn instead (so the Dialer may return any net.Conn) and gives the
//     guest files that behave as stream sockets. Placing them in a module's
//     descriptor table reaches wazero's internals by reflection (fdtable.go);
//     the wazero version is pinned in go.mod and TestFDTable guards it.
//   - poll_oneoff: wazero's reports every non-blocking descriptor ready at
//     once, so an idle Go server spins a core. wasmrt's sleeps until a
//     socket is ready, a timer fires or the process is killed.
//   - Memory limits: a per-module memory allocator refuses growth past the
//     limit and ends the module as OOMKilled, so one wazero runtime (and one
//     copy of compiled code) serves every limit.
//   - Volumes are served through an os.Root, so neither "..", absolute
//     symbolic links nor links the guest creates reach outside the volume
//     (wazero's WithDirMount follows guest-made links out of the mount).
//   - Kill cancels the module's context (wazero's WithCloseOnContextDone);
//     sleeps and socket waits are interruptible, so a busy or sleeping guest
//     stops in well under a millisecond.
package wasmrt
