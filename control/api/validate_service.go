package api

import (
	"strconv"
	"strings"
)

// NodePort range, as Kubernetes' default --service-node-port-range.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

func validateServiceSpec(spec *ServiceSpec, path string) ErrorList {
	var errs ErrorList
	typ := spec.Type
	errs = append(errs, oneOf(pathChild(path, "type"), typ, ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer, ServiceTypeExternalName)...)
	headless := spec.ClusterIP == "None"
	if typ == ServiceTypeExternalName {
		ep := pathChild(path, "externalName")
		name := strings.TrimSuffix(spec.ExternalName, ".")
		if name == "" {
			errs = append(errs, errRequired(ep, ""))
		} else {
			errs = append(errs, invalidIf(ep, spec.ExternalName, dns1123Subdomain(name))...)
		}
		if spec.ClusterIP != "" {
			errs = append(errs, errForbidden(pathChild(path, "clusterIP"), "may not be set for ExternalName services"))
		}
	} else if len(spec.Ports) == 0 && !headless {
		errs = append(errs, errRequired(pathChild(path, "ports"), ""))
	}
	if spec.ClusterIP != "" && !headless && !validIP(spec.ClusterIP) {
		errs = append(errs, errInvalid(pathChild(path, "clusterIP"), spec.ClusterIP, "must be empty, 'None', or a valid IP address"))
	}
	if headless && (typ == ServiceTypeNodePort || typ == ServiceTypeLoadBalancer) {
		errs = append(errs, errInvalid(pathChild(path, "clusterIP"), spec.ClusterIP, "may not be set to 'None' for "+typ+" services"))
	}
	for i, ip := range spec.ClusterIPs {
		if ip != "None" && !validIP(ip) {
			errs = append(errs, errInvalid(pathIndex(pathChild(path, "clusterIPs"), i), ip, "must be 'None' or a valid IP address"))
		}
	}
	for i, ip := range spec.ExternalIPs {
		if !validIP(ip) {
			errs = append(errs, errInvalid(pathIndex(pathChild(path, "externalIPs"), i), ip, "must be a valid IP address"))
		}
	}
	errs = append(errs, validateServicePorts(spec.Ports, pathChild(path, "ports"), typ)...)
	errs = append(errs, validateLabels(spec.Selector, pathChild(path, "selector"))...)
	errs = append(errs, oneOf(pathChild(path, "sessionAffinity"), spec.SessionAffinity, "None", "ClientIP")...)
	if etp := spec.ExternalTrafficPolicy; etp != "" {
		errs = append(errs, oneOf(pathChild(path, "externalTrafficPolicy"), etp, "Cluster", "Local")...)
		if typ != ServiceTypeNodePort && typ != ServiceTypeLoadBalancer {
			errs = append(errs, errInvalid(pathChild(path, "externalTrafficPolicy"), etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
		}
	}
	if itp := spec.InternalTrafficPolicy; itp != nil {
		errs = append(errs, oneOf(pathChild(path, "internalTrafficPolicy"), *itp, "Cluster", "Local")...)
	}
	for i, f := range spec.IPFamilies {
		errs = append(errs, oneOf(pathIndex(pathChild(path, "ipFamilies"), i), f, "IPv4", "IPv6")...)
	}
	if p := spec.IPFamilyPolicy; p != nil {
		errs = append(errs, oneOf(pathChild(path, "ipFamilyPolicy"), *p, "SingleStack", "PreferDualStack", "RequireDualStack")...)
	}
	return errs
}

func validateServicePorts(ports []ServicePort, path, typ string) ErrorList {
	var errs ErrorList
	names := map[string]bool{}
	nodePorts := map[string]bool{}
	for i, sp := range ports {
		p := pathIndex(path, i)
		np := pathChild(p, "name")
		switch {
		case sp.Name == "" && len(ports) > 1:
			errs = append(errs, errRequired(np, ""))
		case sp.Name == "":
		case names[sp.Name]:
			errs = append(errs, errDuplicate(np, sp.Name))
		default:
			errs = append(errs, invalidIf(np, sp.Name, dns1123Label(sp.Name))...)
		}
		names[sp.Name] = true
		errs = append(errs, portRange(pathChild(p, "port"), sp.Port)...)
		errs = append(errs, oneOf(pathChild(p, "protocol"), sp.Protocol, ProtocolTCP, ProtocolUDP, ProtocolSCTP)...)
		if !sp.TargetPort.IsZero() {
			errs = append(errs, portNumOrName(pathChild(p, "targetPort"), sp.TargetPort)...)
		}
		if sp.NodePort != 0 {
			errs = append(errs, validateNodePort(sp, pathChild(p, "nodePort"), typ, nodePorts)...)
		}
	}
	return errs
}

func validateNodePort(sp ServicePort, path, typ string, seen map[string]bool) ErrorList {
	if typ != ServiceTypeNodePort && typ != ServiceTypeLoadBalancer {
		shown := typ
		if shown == "" {
			shown = ServiceTypeClusterIP
		}
		return ErrorList{errForbidden(path, "may not be used when `type` is '"+shown+"'")}
	}
	v := rawValue(strconv.Itoa(int(sp.NodePort)))
	if sp.NodePort < NodePortMin || sp.NodePort > NodePortMax {
		return ErrorList{errInvalid(path, v, "provided port is not in the valid range. The range of valid ports is 30000-32767")}
	}
	proto := sp.Protocol
	if proto == "" {
		proto = ProtocolTCP
	}
	k := strconv.Itoa(int(sp.NodePort)) + "/" + proto
	if seen[k] {
		return ErrorList{errDuplicate(path, k)}
	}
	seen[k] = true
	return nil
}

func validateServiceUpdate(svc, old *Service) ErrorList {
	if svc.Spec.Type == ServiceTypeExternalName || old.Spec.Type == ServiceTypeExternalName || old.Spec.ClusterIP == "" {
		return nil
	}
	return immutable("spec.clusterIP", svc.Spec.ClusterIP, old.Spec.ClusterIP)
}

func validateEndpoints(ep *Endpoints) ErrorList {
	var errs ErrorList
	for i, s := range ep.Subsets {
		p := pathIndex("subsets", i)
		for _, list := range []struct {
			name  string
			addrs []EndpointAddress
		}{{"addresses", s.Addresses}, {"notReadyAddresses", s.NotReadyAddresses}} {
			for j, a := range list.addrs {
				if !validIP(a.IP) {
					errs = append(errs, errInvalid(pathChild(pathIndex(pathChild(p, list.name), j), "ip"), a.IP, "must be a valid IP address"))
				}
			}
		}
		for j, port := range s.Ports {
			pp := pathIndex(pathChild(p, "ports"), j)
			errs = append(errs, portRange(pathChild(pp, "port"), port.Port)...)
			errs = append(errs, oneOf(pathChild(pp, "protocol"), port.Protocol, ProtocolTCP, ProtocolUDP, ProtocolSCTP)...)
		}
	}
	return errs
}
