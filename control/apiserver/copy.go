package apiserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wk-project/wk/control/api"
)

// jsonCopy returns what decoding the JSON encoding of obj would give, without writing the text: a
// deep copy that leaves out what JSON leaves out (unexported and `json:"-"` fields, empty
// omitempty fields, so that empty slices and maps come back nil), turns invalid UTF-8 into U+FFFD
// as the encoder does, and gives values with JSON methods of their own the round trip they would
// take: times to the second in UTC, quantities parsed again, others through JSON itself. It is
// how the in-process client hands objects to the server, several times faster than the text.
func jsonCopy(obj api.Object) (api.Object, error) {
	src := reflect.ValueOf(obj)
	if src.Kind() != reflect.Pointer || src.IsNil() {
		return nil, fmt.Errorf("copy %T: not a pointer to an object", obj)
	}
	dst := reflect.New(src.Type().Elem())
	if err := copyJSON(dst.Elem(), src.Elem()); err != nil {
		return nil, fmt.Errorf("copy %T: %w", obj, err)
	}
	return dst.Interface().(api.Object), nil
}

var (
	marshalerType = reflect.TypeFor[json.Marshaler]()
	timeType      = reflect.TypeFor[api.Time]()
	quantityType  = reflect.TypeFor[api.Quantity]()
)

// copyJSON sets dst, a zero settable value, to what src becomes through JSON.
func copyJSON(dst, src reflect.Value) error {
	t := src.Type()
	switch {
	case t == timeType:
		tm, err := copyTime(src.Interface().(api.Time))
		dst.Set(reflect.ValueOf(tm))
		return err
	case t == quantityType:
		q, err := quantities.copy(src.Interface().(api.Quantity))
		dst.Set(reflect.ValueOf(q))
		return err
	case t.Kind() != reflect.Pointer && (t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)):
		return roundTrip(dst, src)
	}
	switch t.Kind() {
	case reflect.Pointer:
		switch e := t.Elem(); {
		case src.IsNil():
			return nil
		case e == timeType && src.Elem().Interface().(api.Time).IsZero():
			return nil // null, which decodes to a nil pointer
		case e != timeType && e != quantityType && (e.Implements(marshalerType) || t.Implements(marshalerType)):
			return roundTrip(dst, src)
		}
		p := reflect.New(t.Elem())
		if err := copyJSON(p.Elem(), src.Elem()); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Struct:
		fields, ok := jsonFields(t)
		if !ok {
			return roundTrip(dst, src)
		}
		for _, f := range fields {
			sf := src.Field(f.index)
			if f.omitEmpty && isEmptyValue(sf) || f.omitZero && sf.IsZero() {
				continue
			}
			if err := copyJSON(dst.Field(f.index), sf); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return nil
		}
		s := reflect.MakeSlice(t, src.Len(), src.Len())
		if t.Elem().Kind() == reflect.Uint8 {
			reflect.Copy(s, src) // base64 carries bytes as they are
		} else {
			for i := range src.Len() {
				if err := copyJSON(s.Index(i), src.Index(i)); err != nil {
					return err
				}
			}
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			if err := copyJSON(dst.Index(i), src.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if src.IsNil() {
			return nil
		}
		if t.Key().Kind() != reflect.String {
			return roundTrip(dst, src)
		}
		m := reflect.MakeMapWithSize(t, src.Len())
		for it := src.MapRange(); it.Next(); {
			k := reflect.New(t.Key()).Elem()
			k.SetString(jsonString(it.Key().String()))
			v := reflect.New(t.Elem()).Elem()
			if err := copyJSON(v, it.Value()); err != nil {
				return err
			}
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.String:
		dst.SetString(jsonString(src.String()))
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		dst.Set(src)
	default: // floats, interfaces and anything rarer: through JSON itself
		return roundTrip(dst, src)
	}
	return nil
}

// roundTrip sets dst to src encoded and decoded.
func roundTrip(dst, src reflect.Value) error {
	b, err := json.Marshal(src.Interface())
	if err != nil {
		return err
	}
	p := reflect.New(src.Type())
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		return err
	}
	dst.Set(p.Elem())
	return nil
}

// copyTime is t through api.Time's JSON: to the second, in UTC, the zero time for null.
func copyTime(t api.Time) (api.Time, error) {
	if t.IsZero() {
		return api.Time{}, nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		var out api.Time
		b, err := json.Marshal(t)
		if err == nil {
			err = json.Unmarshal(b, &out)
		}
		return out, err
	}
	return api.Time{Time: t.UTC().Truncate(time.Second)}, nil
}

// quantities remembers how quantities come back from JSON: a cluster uses a handful of them, and
// parsing one again costs more than copying a whole pod.
var quantities = &quantityCache{m: map[api.Quantity]api.Quantity{}}

type quantityCache struct {
	mu sync.Mutex
	m  map[api.Quantity]api.Quantity
}

func (c *quantityCache) copy(q api.Quantity) (api.Quantity, error) {
	c.mu.Lock()
	out, ok := c.m[q]
	c.mu.Unlock()
	if ok {
		return out, nil
	}
	b, err := json.Marshal(q)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return api.Quantity{}, err
	}
	c.mu.Lock()
	if len(c.m) >= 4096 {
		clear(c.m)
	}
	c.m[q] = out
	c.mu.Unlock()
	return out, nil
}

// jsonString is s as the JSON encoder writes it: every byte of invalid UTF-8 becomes U+FFFD.
func jsonString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// jsonField is a struct field that JSON encodes.
type jsonField struct {
	index               int
	omitEmpty, omitZero bool
}

type structFields struct {
	fields []jsonField
	ok     bool // false: embeds something copyJSON leaves to JSON itself
}

var fieldCache sync.Map // reflect.Type -> structFields

// jsonFields lists the fields of struct type t that JSON encodes: exported ones (embedded structs
// included, whose fields it promotes) without the tag "-". It is not ok for a struct that embeds a
// pointer or an unexported type, whose promoted fields JSON handles in ways not copied here.
func jsonFields(t reflect.Type) ([]jsonField, bool) {
	if sf, ok := fieldCache.Load(t); ok {
		return sf.(structFields).fields, sf.(structFields).ok
	}
	sf := structFields{ok: true}
	var fs []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && (f.Type.Kind() != reflect.Struct || !f.IsExported()) {
			sf.ok = false
		}
		if tag == "-" || !f.IsExported() {
			continue
		}
		_, opts, _ := strings.Cut(tag, ",")
		jf := jsonField{index: i}
		for _, o := range strings.Split(opts, ",") {
			jf.omitEmpty = jf.omitEmpty || o == "omitempty"
			jf.omitZero = jf.omitZero || o == "omitzero"
		}
		fs = append(fs, jf)
	}
	sf.fields = fs
	fieldCache.Store(t, sf)
	return sf.fields, sf.ok
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return v.IsZero()
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
