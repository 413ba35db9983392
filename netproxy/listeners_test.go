package netproxy

import (
	"slices"
	"testing"
)

func TestDiffListeners(t *testing.T) {
	a := serviceTarget{"default", "a", "80"}
	b := serviceTarget{"default", "b", "http"}
	tests := []struct {
		name                         string
		want, running                map[string]serviceTarget
		wantStart, wantStop, wantRet []string
	}{
		{"nothing", nil, nil, nil, nil, nil},
		{"start", map[string]serviceTarget{":30001": a, ":30000": b}, nil, []string{":30000", ":30001"}, nil, nil},
		{"stop", nil, map[string]serviceTarget{":30000": a}, nil, []string{":30000"}, nil},
		{"keep", map[string]serviceTarget{":30000": a}, map[string]serviceTarget{":30000": a}, nil, nil, nil},
		{"retarget", map[string]serviceTarget{":30000": b}, map[string]serviceTarget{":30000": a}, nil, nil, []string{":30000"}},
		{"mixed", map[string]serviceTarget{":30000": a, ":30002": b}, map[string]serviceTarget{":30000": a, ":30001": b},
			[]string{":30002"}, []string{":30001"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, stop, ret := diffListeners(tt.want, tt.running)
			if !slices.Equal(start, tt.wantStart) || !slices.Equal(stop, tt.wantStop) || !slices.Equal(ret, tt.wantRet) {
				t.Errorf("diff = %v, %v, %v; want %v, %v, %v", start, stop, ret, tt.wantStart, tt.wantStop, tt.wantRet)
			}
		})
	}
}
