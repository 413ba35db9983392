package scheduler

import "github.com/wk-project/wk/control/api"

// spread counts the pods of one controller (a ReplicaSet, say) per node and per zone, so that
// its replicas can be spread, and remembers where the scan for its next pod starts.
type spread struct {
	byNode counter
	byZone counter
	sig    *signature // the signature next indexes
	next   int        // into sig.nodes
}

// ownerOf returns the spread of the controller with the given UID, making it on first use.
func (s *Snapshot) ownerOf(uid string) *spread {
	sp := s.owners[uid]
	if sp == nil {
		sp = newSpread(len(s.nodes), len(s.zones))
		s.owners[uid] = sp
	}
	return sp
}

func newSpread(nodes, zones int) *spread {
	return &spread{byNode: counter{slots: nodes}, byZone: counter{slots: zones}}
}

func (sp *spread) add(node, zone int32) {
	sp.byNode.add(node)
	if zone >= 0 {
		sp.byZone.add(zone)
	}
}

// counter counts per slot (node or zone index). It is a map while few slots are used and turns
// into a slice once many are, so a controller with a handful of pods costs little memory and one
// with thousands is read without hashing.
type counter struct {
	dense  []int32
	sparse map[int32]int32
	slots  int
}

func (c *counter) get(i int32) int32 {
	if c.dense != nil {
		return c.dense[i]
	}
	return c.sparse[i]
}

func (c *counter) add(i int32) {
	if c.dense != nil {
		c.dense[i]++
		return
	}
	if c.sparse == nil {
		c.sparse = make(map[int32]int32)
	}
	c.sparse[i]++
	if len(c.sparse) > 8 && len(c.sparse)*16 > c.slots {
		c.dense = make([]int32, c.slots)
		for k, v := range c.sparse {
			c.dense[k] = v
		}
		c.sparse = nil
	}
}

// controllerUID returns the UID of the pod's managing controller, or "".
func controllerUID(p *api.Pod) string {
	for i := range p.OwnerReferences {
		if r := &p.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r.UID
		}
	}
	return ""
}
