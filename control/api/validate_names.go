package api

import (
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The checks below return Kubernetes' messages for a bad name, or nil for a good one.

var (
	dns1123LabelRe     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123SubdomainRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1035LabelRe     = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	qualifiedNameRe    = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValueRe       = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	configKeyRe        = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	envVarNameRe       = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)
	portNameRe         = regexp.MustCompile(`^[-a-z0-9]+$`)
	portNameLetterRe   = regexp.MustCompile(`[a-z]`)
	percentRe          = regexp.MustCompile(`^[0-9]+%$`)
)

func maxLen(s string, n int) []string {
	if len(s) > n {
		return []string{"must be no more than " + strconv.Itoa(n) + " characters"}
	}
	return nil
}

// dns1123Label: namespace names, container names, volume names.
func dns1123Label(s string) []string {
	msgs := maxLen(s, 63)
	if !dns1123LabelRe.MatchString(s) {
		msgs = append(msgs, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')")
	}
	return msgs
}

// dns1123Subdomain: the names of most objects.
func dns1123Subdomain(s string) []string {
	msgs := maxLen(s, 253)
	if !dns1123SubdomainRe.MatchString(s) {
		msgs = append(msgs, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')")
	}
	return msgs
}

// dns1035Label: Service names, which become DNS labels that must not start with a digit.
func dns1035Label(s string) []string {
	msgs := maxLen(s, 63)
	if !dns1035LabelRe.MatchString(s) {
		msgs = append(msgs, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')")
	}
	return msgs
}

// wildcardSubdomain accepts a DNS-1123 subdomain, or one with "*." in front.
func wildcardSubdomain(s string) []string {
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		if msgs := dns1123Subdomain(rest); msgs != nil {
			return []string{"a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain (e.g. '*.example.com')"}
		}
		return nil
	}
	return dns1123Subdomain(s)
}

// qualifiedName: label and annotation keys, finalizers: an optional DNS subdomain prefix and "/",
// then a name of at most 63 characters.
func qualifiedName(s string) []string {
	const nameMsg = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')"
	parts := strings.Split(s, "/")
	name := parts[0]
	var msgs []string
	switch len(parts) {
	case 1:
	case 2:
		prefix := parts[0]
		name = parts[1]
		if prefix == "" {
			msgs = append(msgs, "prefix part must be non-empty")
		} else if dns1123Subdomain(prefix) != nil {
			msgs = append(msgs, "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')")
		}
	default:
		return []string{"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}
	}
	switch {
	case name == "":
		msgs = append(msgs, "name part must be non-empty")
	case len(name) > 63:
		msgs = append(msgs, "name part must be no more than 63 characters")
	}
	if name != "" && !qualifiedNameRe.MatchString(name) {
		msgs = append(msgs, nameMsg)
	}
	return msgs
}

func labelValue(s string) []string {
	msgs := maxLen(s, 63)
	if !labelValueRe.MatchString(s) {
		msgs = append(msgs, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345')")
	}
	return msgs
}

// configKey: the keys of ConfigMap and Secret data, which become file names.
func configKey(s string) []string {
	msgs := maxLen(s, 253)
	if !configKeyRe.MatchString(s) {
		msgs = append(msgs, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name')")
	}
	switch {
	case s == ".":
		msgs = append(msgs, "must not be '.'")
	case s == "..":
		msgs = append(msgs, "must not be '..'")
	case strings.HasPrefix(s, ".."):
		msgs = append(msgs, "must not start with '..'")
	}
	return msgs
}

func envVarName(s string) []string {
	if !envVarNameRe.MatchString(s) {
		return []string{"a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1')"}
	}
	return nil
}

// portName is an IANA service name: at most 15 lower case letters, digits and single hyphens,
// with at least one letter.
func portName(s string) []string {
	var msgs []string
	if len(s) > 15 {
		msgs = append(msgs, "must be no more than 15 characters")
	}
	if !portNameRe.MatchString(s) {
		msgs = append(msgs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if strings.Contains(s, "--") {
		msgs = append(msgs, "must not contain consecutive hyphens")
	}
	if s != "" && (s[0] == '-' || s[len(s)-1] == '-') {
		msgs = append(msgs, "must not begin or end with a hyphen")
	}
	if !portNameLetterRe.MatchString(s) {
		msgs = append(msgs, "must contain at least one letter (a-z)")
	}
	return msgs
}

func validIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// invalidIf turns a check's messages into one FieldError, or none.
func invalidIf(path, value string, msgs []string) ErrorList {
	if len(msgs) == 0 {
		return nil
	}
	return ErrorList{errInvalid(path, value, strings.Join(msgs, "; "))}
}

// portRange checks a port number, 1-65535.
func portRange(path string, port int32) ErrorList {
	if port < 1 || port > 65535 {
		return ErrorList{errInvalid(path, rawValue(strconv.Itoa(int(port))), "must be between 1 and 65535, inclusive")}
	}
	return nil
}

// portNumOrName checks a port given by number (1-65535) or by IANA name.
func portNumOrName(path string, p IntOrString) ErrorList {
	if p.IsString {
		return invalidIf(path, p.StrVal, portName(p.StrVal))
	}
	return portRange(path, p.IntVal)
}

func nonNegative(path string, v int64) ErrorList {
	if v < 0 {
		return ErrorList{errInvalid(path, rawValue(strconv.FormatInt(v, 10)), "must be greater than or equal to 0")}
	}
	return nil
}

// oneOf checks an enumerated value; empty is allowed (defaults fill it in).
func oneOf(path, v string, supported ...string) ErrorList {
	if v == "" {
		return nil
	}
	for _, s := range supported {
		if v == s {
			return nil
		}
	}
	return ErrorList{errNotSupported(path, v, supported...)}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
