package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wk-project/wk/control/api"
)

// newTable returns a tab writer with kubectl's spacing.
func newTable(out io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)
}

// objectName is kubectl's kind.group/name form.
func objectName(obj api.Object) string {
	return qualifiedKind(api.KindOf(obj)) + "/" + obj.GetObjectMeta().Name
}

// qualifiedKind is the kind in lower case, with its group when it has one: "deployment.apps".
func qualifiedKind(k *api.Kind) string {
	kind := strings.ToLower(k.Kind)
	if k.Group != "" {
		kind += "." + k.Group
	}
	return kind
}

// age formats the time since t as kubectl does ("5s", "3m20s", "4h", "12d").
func age(now time.Time, t api.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return humanDuration(now.Sub(t.Time))
}

// humanDuration is kubectl's HumanDuration.
func humanDuration(d time.Duration) string {
	if s := int(d.Round(time.Second) / time.Second); s < 0 {
		return "<invalid>"
	} else if s < 120 {
		return fmt.Sprintf("%ds", s)
	}
	m := int(d / time.Minute)
	switch h := int(d / time.Hour); {
	case m < 10:
		if s := int(d/time.Second) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", m, s)
		}
		return fmt.Sprintf("%dm", m)
	case h < 3:
		return fmt.Sprintf("%dm", m)
	case h < 8:
		if mm := m % 60; mm != 0 {
			return fmt.Sprintf("%dh%dm", h, mm)
		}
		return fmt.Sprintf("%dh", h)
	case h < 48:
		return fmt.Sprintf("%dh", h)
	case h < 24*8:
		if hh := h % 24; hh != 0 {
			return fmt.Sprintf("%dd%dh", h/24, hh)
		}
		return fmt.Sprintf("%dd", h/24)
	case h < 24*365*2:
		return fmt.Sprintf("%dd", h/24)
	case h < 24*365*8:
		return fmt.Sprintf("%dy%dd", h/24/365, h/24%365)
	default:
		return fmt.Sprintf("%dy", h/24/365)
	}
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
