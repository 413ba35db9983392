//go:build race

package gossip

// raceEnabled: the race detector slows memberlist down several times over.
const raceEnabled = true
