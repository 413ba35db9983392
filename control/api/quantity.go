package api

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Quantity is a resource amount such as "250m" CPU or "64Mi" of memory, kept as written and
// resolved to thousandths of a unit.
type Quantity struct {
	s     string
	milli int64
}

// ResourceList maps a resource name (cpu, memory, pods) to its amount.
type ResourceList map[string]Quantity

var quantitySuffixes = map[string]*big.Rat{
	"":   big.NewRat(1, 1),
	"n":  big.NewRat(1, 1_000_000_000),
	"u":  big.NewRat(1, 1_000_000),
	"m":  big.NewRat(1, 1000),
	"k":  big.NewRat(1000, 1),
	"M":  big.NewRat(1_000_000, 1),
	"G":  big.NewRat(1_000_000_000, 1),
	"T":  big.NewRat(1_000_000_000_000, 1),
	"P":  big.NewRat(1_000_000_000_000_000, 1),
	"E":  big.NewRat(1_000_000_000_000_000_000, 1),
	"Ki": big.NewRat(1<<10, 1),
	"Mi": big.NewRat(1<<20, 1),
	"Gi": big.NewRat(1<<30, 1),
	"Ti": big.NewRat(1<<40, 1),
	"Pi": big.NewRat(1<<50, 1),
	"Ei": big.NewRat(1<<60, 1),
}

// ParseQuantity parses s the way Kubernetes does: a decimal number followed by an SI or binary
// suffix, or by an exponent (1e3).
func ParseQuantity(s string) (Quantity, error) {
	num, suffix := splitQuantity(s)
	if num == "" || strings.Count(num, ".") > 1 || num == "." {
		return Quantity{}, fmt.Errorf("quantity %q must be a number with an optional suffix such as m, Mi or G", s)
	}
	value, ok := new(big.Rat).SetString(num)
	if !ok {
		return Quantity{}, fmt.Errorf("quantity %q must be a number with an optional suffix such as m, Mi or G", s)
	}
	mult, ok := quantitySuffixes[suffix]
	if !ok {
		exp, err := parseExponent(suffix)
		if err != nil {
			return Quantity{}, fmt.Errorf("quantity %q has an unknown suffix %q", s, suffix)
		}
		mult = exp
	}
	value.Mul(value, mult)
	value.Mul(value, big.NewRat(1000, 1))
	milli := new(big.Int).Quo(new(big.Int).Add(value.Num(), new(big.Int).Sub(value.Denom(), big.NewInt(1))), value.Denom())
	if value.Sign() < 0 {
		milli = new(big.Int).Quo(value.Num(), value.Denom())
	}
	if !milli.IsInt64() {
		if milli.Sign() < 0 {
			return Quantity{s: s, milli: math.MinInt64}, nil
		}
		return Quantity{s: s, milli: math.MaxInt64}, nil
	}
	return Quantity{s: s, milli: milli.Int64()}, nil
}

func splitQuantity(s string) (num, suffix string) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

func parseExponent(suffix string) (*big.Rat, error) {
	if len(suffix) < 2 || (suffix[0] != 'e' && suffix[0] != 'E') {
		return nil, fmt.Errorf("not an exponent")
	}
	e, err := strconv.Atoi(suffix[1:])
	if err != nil || e > 30 || e < -30 {
		return nil, fmt.Errorf("not an exponent")
	}
	r := big.NewRat(1, 1)
	ten := big.NewRat(10, 1)
	if e < 0 {
		ten = big.NewRat(1, 10)
		e = -e
	}
	for ; e > 0; e-- {
		r.Mul(r, ten)
	}
	return r, nil
}

// MustParseQuantity parses s and panics on error; for constants in code and tests.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// NewMilliQuantity makes a quantity of milli thousandths, written in the CPU style ("250m").
func NewMilliQuantity(milli int64) Quantity {
	if milli%1000 == 0 {
		return Quantity{s: strconv.FormatInt(milli/1000, 10), milli: milli}
	}
	return Quantity{s: strconv.FormatInt(milli, 10) + "m", milli: milli}
}

// NewBytesQuantity makes a quantity of n units, written with the largest exact binary suffix ("64Mi").
func NewBytesQuantity(n int64) Quantity {
	s := strconv.FormatInt(n, 10)
	for _, suf := range []struct {
		name  string
		shift uint
	}{{"Ei", 60}, {"Pi", 50}, {"Ti", 40}, {"Gi", 30}, {"Mi", 20}, {"Ki", 10}} {
		if n != 0 && n%(1<<suf.shift) == 0 {
			s = strconv.FormatInt(n>>suf.shift, 10) + suf.name
			break
		}
	}
	return Quantity{s: s, milli: n * 1000}
}

// MilliValue is the amount in thousandths of a unit (CPU millicores).
func (q Quantity) MilliValue() int64 { return q.milli }

// Value is the amount in whole units, rounded up (bytes of memory).
func (q Quantity) Value() int64 {
	if q.milli >= 0 {
		return (q.milli + 999) / 1000
	}
	return q.milli / 1000
}

// IsZero reports whether the quantity is unset or zero.
func (q Quantity) IsZero() bool { return q.milli == 0 }

// String formats the quantity as it was written.
func (q Quantity) String() string {
	if q.s == "" {
		return "0"
	}
	return q.s
}

// MarshalJSON implements json.Marshaler.
func (q Quantity) MarshalJSON() ([]byte, error) { return json.Marshal(q.String()) }

// UnmarshalJSON accepts a string or a bare number.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	p, err := ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = p
	return nil
}
