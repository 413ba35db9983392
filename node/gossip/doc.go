// Package gossip is how wk servers and node agents find each other and how the control plane
// learns within seconds that a node died. It owns wk's membership protocol, SWIM as implemented by
// hashicorp/memberlist, and is the only package that imports memberlist; none of its types leave
// the package.
//
// Every member (a server, an agent, or both in one process under `wk up`) runs one Gossip. It
// tells the others a small Meta (is it a server, the API URL, its Node, its tunnel address,
// runtimes), and calls OnAlive and OnDead as members come and go. All traffic, UDP and TCP, is
// encrypted and authenticated with the cluster's 32-byte key (AES-256-GCM); a member with another
// key cannot join, and neither member names nor metadata go on the wire in clear.
//
// # Failure detection
//
// Each member probes one other every ProbeInterval (500 ms) and waits ProbeTimeout (300 ms) for an
// ack, then asks 3 others to probe it and tries TCP. A member that fails is suspected; with
// SuspicionMult 2 it is declared dead 2*max(1, log10(n))*ProbeInterval later with no need for
// confirmations: 1 s at 3 members, 1.7 s at 50, 2 s up to 100, 3 s at 1,000. Measured on
// loopback (a 2-CPU machine also running other builds), from a member's crash to OnDead:
//
//	3 members:  1.8 s (2.3 s at worst over a few runs)
//	50 members: 2.3-3.4 s for the last of the 49 others to hear it (median of a run 2.4-3.3 s)
//
// # Cost
//
// At 50 members in steady state each member sends about 300 bytes/s (4 packets/s: pings and
// acks, 75 bytes each once encrypted). Push/pull, a full-state exchange over TCP every 30 s scaled
// by ceil(log2(n/32))+1 (every 60 s at 50 members), moves about 4.4 KB at 50 members and adds
// about 75 bytes/s per member: 375 bytes/s per member in all. Measured with
//
//	go test ./node/gossip -run TestGossipBandwidth -v
//
// which starts 50 members in-process, measures 10 s of steady state from Stats, then one
// push/pull, then how long the other 49 take to declare a killed member dead.
//
// # Staying together
//
// memberlist gossips to a dead member for GossipToTheDeadTime (30 s) only; past that nobody talks
// to it, and an agent cut off longer, or all agents after their only server restarted, would stay
// apart for good. Run therefore re-joins (every 2 s) when an agent sees no server, or when a
// member with join addresses sees nobody. A member restarted under its old name is alive again
// within a second of joining: the others hold it dead at some incarnation, it learns so in its
// first exchange and refutes with a higher one.
package gossip
