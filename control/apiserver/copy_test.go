package apiserver

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

// TestJSONCopyIsTheRoundTrip fills objects of every kind at random (nil, empty and full slices,
// maps and pointers, invalid UTF-8, times with nanoseconds in other zones, zero quantities) and
// checks that jsonCopy gives exactly what encoding and decoding them gives.
func TestJSONCopyIsTheRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range api.Kinds() {
		for i := range 300 {
			obj := k.New()
			fill(reflect.ValueOf(obj).Elem(), r, 0)
			b, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("%s #%d: encode: %v", k.Kind, i, err)
			}
			want := k.New()
			if err := json.Unmarshal(b, want); err != nil {
				t.Fatalf("%s #%d: decode: %v", k.Kind, i, err)
			}
			got, err := jsonCopy(obj)
			if err != nil {
				t.Fatalf("%s #%d: %v", k.Kind, i, err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				t.Fatalf("%s #%d: the copy differs from the round trip\n%#v\n%#v\n(as JSON: equal %v)", k.Kind, i, got, want, string(g) == string(b))
			}
		}
	}
}

var (
	quantityValues = []string{"100m", "1", "2Gi", "0", "1.5", "128Mi", "500M"}
	stringValues   = []string{"", "a", "web", "\xff\xfebad", "ünïcode", "a\x80b"}
	zones          = []*time.Location{time.UTC, time.FixedZone("X", 3600), time.FixedZone("Y", -5*3600)}
)

func fill(v reflect.Value, r *rand.Rand, depth int) {
	switch v.Type() {
	case timeType:
		if r.IntN(5) > 0 {
			v.Set(reflect.ValueOf(api.Time{Time: time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(zones[r.IntN(len(zones))])}))
		}
		return
	case quantityType:
		if r.IntN(5) > 0 {
			v.Set(reflect.ValueOf(api.MustParseQuantity(quantityValues[r.IntN(len(quantityValues))])))
		}
		return
	case reflect.TypeFor[api.IntOrString]():
		switch r.IntN(3) {
		case 1:
			v.Set(reflect.ValueOf(api.FromInt(r.IntN(100))))
		case 2:
			v.Set(reflect.ValueOf(api.FromString(stringValues[1+r.IntN(len(stringValues)-1)])))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if depth < 6 && r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			fill(p.Elem(), r, depth+1)
			v.Set(p)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), r, depth+1)
			}
		}
	case reflect.Slice:
		switch n := r.IntN(5); {
		case n == 0 || depth >= 6:
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range s.Len() {
				fill(s.Index(i), r, depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := r.IntN(5); {
		case n == 0 || depth >= 6:
		case n == 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for range n - 1 {
				k := reflect.New(v.Type().Key()).Elem()
				k.SetString(stringValues[r.IntN(len(stringValues))])
				e := reflect.New(v.Type().Elem()).Elem()
				fill(e, r, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.String:
		v.SetString(stringValues[r.IntN(len(stringValues))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(r.IntN(3)) - 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(r.IntN(3)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(r.Float64())
	}
}

func BenchmarkCopy(b *testing.B) {
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web-1", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: "web:v1", Resources: api.ResourceRequirements{
			Requests: api.ResourceList{"cpu": api.MustParseQuantity("100m"), "memory": api.MustParseQuantity("128Mi")}}}}},
		Status: api.PodStatus{Phase: api.PodRunning, Conditions: []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.Now()}}},
	}
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			bs, _ := json.Marshal(p)
			json.Unmarshal(bs, &api.Pod{})
		}
	})
	b.Run("jsonCopy", func(b *testing.B) {
		for b.Loop() {
			jsonCopy(p)
		}
	})
}
