package api

import "strings"

func validateIngressSpec(spec *IngressSpec, path string) ErrorList {
	var errs ErrorList
	if c := spec.IngressClassName; c != nil {
		errs = append(errs, invalidIf(pathChild(path, "ingressClassName"), *c, dns1123Subdomain(*c))...)
	}
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		errs = append(errs, errInvalid(path, rawValue("{}"), "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		errs = append(errs, validateIngressBackend(spec.DefaultBackend, pathChild(path, "defaultBackend"))...)
	}
	for i, r := range spec.Rules {
		p := pathIndex(pathChild(path, "rules"), i)
		if r.Host != "" {
			errs = append(errs, validateIngressHost(r.Host, pathChild(p, "host"))...)
		}
		if r.HTTP != nil {
			errs = append(errs, validateHTTPIngressPaths(r.HTTP.Paths, pathChild(pathChild(p, "http"), "paths"))...)
		}
	}
	for i, t := range spec.TLS {
		p := pathIndex(pathChild(path, "tls"), i)
		for j, h := range t.Hosts {
			errs = append(errs, validateIngressHost(h, pathIndex(pathChild(p, "hosts"), j))...)
		}
		if t.SecretName != "" {
			errs = append(errs, invalidIf(pathChild(p, "secretName"), t.SecretName, dns1123Subdomain(t.SecretName))...)
		}
	}
	return errs
}

// validateIngressHost accepts a DNS name, with a wildcard as its first label, but not an IP.
func validateIngressHost(host, path string) ErrorList {
	if validIP(host) {
		return ErrorList{errInvalid(path, host, "must be a DNS name, not an IP address")}
	}
	return invalidIf(path, host, wildcardSubdomain(host))
}

func validateHTTPIngressPaths(paths []HTTPIngressPath, path string) ErrorList {
	if len(paths) == 0 {
		return ErrorList{errRequired(path, "")}
	}
	var errs ErrorList
	for i, hp := range paths {
		p := pathIndex(path, i)
		tp := pathChild(p, "pathType")
		switch {
		case hp.PathType == nil:
			errs = append(errs, errRequired(tp, "pathType must be specified"))
		case *hp.PathType == PathTypeExact || *hp.PathType == PathTypePrefix:
			if !strings.HasPrefix(hp.Path, "/") {
				errs = append(errs, errInvalid(pathChild(p, "path"), hp.Path, "must be an absolute path"))
			}
		case *hp.PathType == PathTypeImplementationSpecific:
			if hp.Path != "" && !strings.HasPrefix(hp.Path, "/") {
				errs = append(errs, errInvalid(pathChild(p, "path"), hp.Path, "must be an absolute path"))
			}
		default:
			errs = append(errs, errNotSupported(tp, *hp.PathType, PathTypeExact, PathTypePrefix, PathTypeImplementationSpecific))
		}
		errs = append(errs, validateIngressBackend(&hp.Backend, pathChild(p, "backend"))...)
	}
	return errs
}

func validateIngressBackend(b *IngressBackend, path string) ErrorList {
	switch {
	case b.Service != nil && b.Resource != nil:
		return ErrorList{errInvalid(path, rawValue("{...}"), "cannot set both `service` and `resource` backends")}
	case b.Resource != nil:
		var errs ErrorList
		rp := pathChild(path, "resource")
		if b.Resource.Kind == "" {
			errs = append(errs, errRequired(pathChild(rp, "kind"), ""))
		}
		if b.Resource.Name == "" {
			errs = append(errs, errRequired(pathChild(rp, "name"), ""))
		}
		return errs
	case b.Service == nil:
		return ErrorList{errRequired(path, "one of `backend.service` or `backend.resource` must be specified")}
	}
	var errs ErrorList
	sp := pathChild(path, "service")
	if b.Service.Name == "" {
		errs = append(errs, errRequired(pathChild(sp, "name"), ""))
	} else {
		errs = append(errs, invalidIf(pathChild(sp, "name"), b.Service.Name, dns1035Label(b.Service.Name))...)
	}
	port := b.Service.Port
	pp := pathChild(sp, "port")
	switch {
	case port.Name != "" && port.Number != 0:
		errs = append(errs, errInvalid(pp, rawValue("{...}"), "cannot set both port name & port number"))
	case port.Name != "":
		errs = append(errs, invalidIf(pathChild(pp, "name"), port.Name, portName(port.Name))...)
	case port.Number != 0:
		errs = append(errs, portRange(pathChild(pp, "number"), port.Number)...)
	default:
		errs = append(errs, errRequired(pp, "port name or number is required"))
	}
	return errs
}
