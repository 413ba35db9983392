package controller

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// Labels and annotations of Deployments, ReplicaSets and DaemonSets, as Kubernetes names them.
const (
	labelPodTemplateHash      = "pod-template-hash"
	annotationRevision        = "deployment.kubernetes.io/revision"
	annotationRevisionHistory = "deployment.kubernetes.io/revision-history"
	annotationDesiredReplicas = "deployment.kubernetes.io/desired-replicas"
	annotationMaxReplicas     = "deployment.kubernetes.io/max-replicas"
	annotationChangeCause     = "kubernetes.io/change-cause"
)

// templateHash is a short, stable name for a pod template: FNV-32a over the template (without its
// pod-template-hash label) and the collision count, written in Kubernetes' safe alphabet.
func templateHash(t *api.PodTemplateSpec, collisions *int32) string {
	h := fnv.New32a()
	h.Write(templateBytes(t))
	if collisions != nil {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(*collisions))
		h.Write(b[:])
	}
	return safeEncode(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// templateBytes is the canonical form of a template without its pod-template-hash label.
func templateBytes(t *api.PodTemplateSpec) []byte {
	c := *t
	if _, ok := c.Labels[labelPodTemplateHash]; ok {
		c.Labels = copyMap(c.Labels)
		delete(c.Labels, labelPodTemplateHash)
	}
	b, err := json.Marshal(&c)
	if err != nil {
		panic("controller: encode pod template: " + err.Error())
	}
	return b
}

// sameTemplate compares two templates, ignoring the pod-template-hash label.
func sameTemplate(a, b *api.PodTemplateSpec) bool {
	return string(templateBytes(a)) == string(templateBytes(b))
}

// safeEncode maps each byte of s to an alphabet without vowels or look-alike digits, so that a
// hash never spells a word, as Kubernetes' rand.SafeEncodeString.
func safeEncode(s string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := []byte(s)
	for i, c := range b {
		b[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(b)
}
