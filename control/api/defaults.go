package api

import "strings"

// SetDefaults fills in what Kubernetes fills in when an object is created: restart and DNS
// policies, image pull policies, probe timings, replica counts, rollout strategies, Service types
// and target ports, Secret types. Fields already set are kept, so it is idempotent.
func SetDefaults(obj Object) {
	if isNil(obj) {
		return
	}
	switch o := obj.(type) {
	case *Pod:
		defaultPodSpec(&o.Spec)
	case *Deployment:
		defaultDeploymentSpec(&o.Spec)
	case *ReplicaSet:
		defaultInt32(&o.Spec.Replicas, 1)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *DaemonSet:
		defaultDaemonSetSpec(&o.Spec)
	case *Service:
		defaultServiceSpec(&o.Spec)
	case *Secret:
		defaultSecret(o)
	case *Namespace:
		if o.Status.Phase == "" {
			o.Status.Phase = "Active"
		}
	}
}

func defaultString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func defaultInt32(p **int32, v int32) {
	if *p == nil {
		*p = &v
	}
}

func defaultInt64(p **int64, v int64) {
	if *p == nil {
		*p = &v
	}
}

func defaultIntOrString(p **IntOrString, v IntOrString) {
	if *p == nil {
		*p = &v
	}
}

func defaultPodSpec(spec *PodSpec) {
	defaultString(&spec.RestartPolicy, RestartAlways)
	defaultString(&spec.DNSPolicy, "ClusterFirst")
	defaultString(&spec.SchedulerName, "default-scheduler")
	defaultInt64(&spec.TerminationGracePeriodSeconds, 30)
	for i := range spec.InitContainers {
		defaultContainer(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		defaultContainer(&spec.Containers[i])
	}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		if v.ConfigMap != nil {
			defaultInt32(&v.ConfigMap.DefaultMode, 0o644)
		}
		if v.Secret != nil {
			defaultInt32(&v.Secret.DefaultMode, 0o644)
		}
	}
}

func defaultContainer(c *Container) {
	defaultString(&c.ImagePullPolicy, defaultPullPolicy(c.Image))
	defaultString(&c.TerminationMessagePath, "/dev/termination-log")
	defaultString(&c.TerminationMessagePolicy, "File")
	for i := range c.Ports {
		defaultString(&c.Ports[i].Protocol, ProtocolTCP)
	}
	for i := range c.Env {
		if vf := c.Env[i].ValueFrom; vf != nil && vf.FieldRef != nil {
			defaultString(&vf.FieldRef.APIVersion, "v1")
		}
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil {
			defaultProbe(p)
		}
	}
}

func defaultProbe(p *Probe) {
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if h := p.HTTPGet; h != nil {
		defaultString(&h.Path, "/")
		defaultString(&h.Scheme, "HTTP")
	}
}

// defaultPullPolicy is Always for a registry image tagged :latest or not tagged at all, and
// IfNotPresent otherwise: for a pinned tag or digest, and for local files, OCI layouts and archives,
// and https URLs, which name fixed content.
func defaultPullPolicy(image string) string {
	if !isRegistryImage(image) || strings.Contains(image, "@") {
		return "IfNotPresent"
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, tagged := strings.Cut(name, ":")
	if !tagged || tag == "latest" {
		return "Always"
	}
	return "IfNotPresent"
}

// isRegistryImage tells a registry reference ("host/repo:tag") from the other image forms wk takes.
func isRegistryImage(image string) bool {
	for _, prefix := range []string{"./", "../", "/", "oci:", "oci-archive:", "docker-archive:", "http://", "https://", "file:"} {
		if strings.HasPrefix(image, prefix) {
			return false
		}
	}
	return image != "" && !strings.HasSuffix(image, ".wasm")
}

func defaultDeploymentSpec(spec *DeploymentSpec) {
	defaultInt32(&spec.Replicas, 1)
	defaultInt32(&spec.RevisionHistoryLimit, 10)
	defaultInt32(&spec.ProgressDeadlineSeconds, 600)
	s := &spec.Strategy
	defaultString(&s.Type, "RollingUpdate")
	if s.Type == "RollingUpdate" {
		if s.RollingUpdate == nil {
			s.RollingUpdate = &RollingUpdateDeployment{}
		}
		defaultIntOrString(&s.RollingUpdate.MaxUnavailable, FromString("25%"))
		defaultIntOrString(&s.RollingUpdate.MaxSurge, FromString("25%"))
	}
	defaultPodSpec(&spec.Template.Spec)
}

func defaultDaemonSetSpec(spec *DaemonSetSpec) {
	defaultInt32(&spec.RevisionHistoryLimit, 10)
	s := &spec.UpdateStrategy
	defaultString(&s.Type, "RollingUpdate")
	if s.Type == "RollingUpdate" {
		if s.RollingUpdate == nil {
			s.RollingUpdate = &RollingUpdateDaemonSet{}
		}
		defaultIntOrString(&s.RollingUpdate.MaxUnavailable, FromInt(1))
		defaultIntOrString(&s.RollingUpdate.MaxSurge, FromInt(0))
	}
	defaultPodSpec(&spec.Template.Spec)
}

func defaultServiceSpec(spec *ServiceSpec) {
	defaultString(&spec.Type, ServiceTypeClusterIP)
	defaultString(&spec.SessionAffinity, "None")
	if spec.Type == ServiceTypeNodePort || spec.Type == ServiceTypeLoadBalancer {
		defaultString(&spec.ExternalTrafficPolicy, "Cluster")
	}
	if spec.Type != ServiceTypeExternalName && spec.InternalTrafficPolicy == nil {
		cluster := "Cluster"
		spec.InternalTrafficPolicy = &cluster
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		defaultString(&p.Protocol, ProtocolTCP)
		if p.TargetPort.IsZero() {
			p.TargetPort = FromInt(int(p.Port))
		}
	}
}

func defaultSecret(s *Secret) {
	defaultString(&s.Type, "Opaque")
	if len(s.StringData) == 0 {
		s.StringData = nil
		return
	}
	if s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
