package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// remembered returns the reason an identical pod (same signature and requests, no host ports) was
// given, if nothing has been placed since: it still fits nowhere, for the same reasons.
func (s *Snapshot) remembered(sig *signature, r *podRequest) (string, bool) {
	if len(s.want) > 0 {
		return "", false
	}
	for i := range sig.unfit {
		if u := &sig.unfit[i]; u.valid && u.placed == s.placed && u.req == *r {
			return u.reason, true
		}
	}
	return "", false
}

// remember keeps an unschedulable answer for remembered.
func (s *Snapshot) remember(sig *signature, r *podRequest, reason string) {
	if len(s.want) > 0 {
		return
	}
	sig.unfit[sig.nextUnfit] = unfit{valid: true, placed: s.placed, req: *r, reason: reason}
	sig.nextUnfit = (sig.nextUnfit + 1) % len(sig.unfit)
}

// explain says why a pod fits no node: it runs every filter on every node and counts the reasons,
// the first failing filter of each node, or each resource it is short of.
func (s *Snapshot) explain(sig *signature, r *podRequest) string {
	var counts [numFailures]int
	taints := map[api.Taint]int{}
	for i := range s.nodes {
		f, t := sig.staticCheck(&s.nodes[i])
		switch {
		case f == failTaint:
			taints[api.Taint{Key: t.Key, Value: t.Value}]++
		case f != passes:
			counts[f]++
		case !portsFree(s.ports[i], s.want):
			counts[failPorts]++
		default:
			l := shortOf(&s.state[i].free, r)
			for _, c := range []struct {
				lack lack
				f    failure
			}{{lackCPU, failCPU}, {lackMemory, failMemory}, {lackPods, failPods}} {
				if l&c.lack != 0 {
					counts[c.f]++
				}
			}
		}
	}
	byText := map[string]int{}
	for f, n := range counts {
		if n > 0 {
			byText[reasonText[f]] = n
		}
	}
	for t, n := range taints {
		byText[fmt.Sprintf(reasonText[failTaint], t.Key, t.Value)] = n
	}
	msg := fitMessage(len(s.nodes), byText)
	s.remember(sig, r, msg)
	return msg
}

// fitMessage formats kube-scheduler's FitError: "0/N nodes are available: " and the reasons with
// their counts, most frequent first, then by text.
func fitMessage(total int, counts map[string]int) string {
	type entry struct {
		reason string
		n      int
	}
	entries := make([]entry, 0, len(counts))
	for reason, n := range counts {
		entries = append(entries, entry{reason, n})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.reason, b.reason))
	})
	var b strings.Builder
	b.WriteString("0/" + strconv.Itoa(total) + " nodes are available")
	for i, e := range entries {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(e.n) + " " + e.reason)
	}
	b.WriteString(".")
	return b.String()
}
