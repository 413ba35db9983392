package api

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestSetDefaults(t *testing.T) {
	obj := decodeOne(t, deploymentWith(`  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
        livenessProbe: {httpGet: {port: 80}}
      - name: side
        image: registry.local:5000/side:v2
`))
	SetDefaults(obj)
	d := obj.(*Deployment)
	ru := d.Spec.Strategy.RollingUpdate
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != "RollingUpdate" || ru.MaxSurge.String() != "25%" || ru.MaxUnavailable.String() != "25%" ||
		*d.Spec.RevisionHistoryLimit != 10 || *d.Spec.ProgressDeadlineSeconds != 600 {
		t.Errorf("deployment spec %+v", d.Spec)
	}
	ps := d.Spec.Template.Spec
	if ps.RestartPolicy != "Always" || *ps.TerminationGracePeriodSeconds != 30 || ps.DNSPolicy != "ClusterFirst" || ps.SchedulerName != "default-scheduler" {
		t.Errorf("pod spec %+v", ps)
	}
	c := ps.Containers[0]
	if c.ImagePullPolicy != "Always" || c.TerminationMessagePath != "/dev/termination-log" || c.TerminationMessagePolicy != "File" || c.Ports[0].Protocol != "TCP" {
		t.Errorf("container %+v", c)
	}
	p := c.LivenessProbe
	if p.TimeoutSeconds != 1 || p.PeriodSeconds != 10 || p.SuccessThreshold != 1 || p.FailureThreshold != 3 || p.HTTPGet.Scheme != "HTTP" || p.HTTPGet.Path != "/" {
		t.Errorf("probe %+v", p)
	}
	if ps.Containers[1].ImagePullPolicy != "IfNotPresent" {
		t.Errorf("side pull policy %q", ps.Containers[1].ImagePullPolicy)
	}
}

func TestSetDefaultsOtherKinds(t *testing.T) {
	svc := decodeOne(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80}, {port: 53, protocol: UDP, targetPort: dns}]\n").(*Service)
	SetDefaults(svc)
	if svc.Spec.Type != "ClusterIP" || svc.Spec.SessionAffinity != "None" || svc.Spec.Ports[0].Protocol != "TCP" ||
		svc.Spec.Ports[0].TargetPort != FromInt(80) || svc.Spec.Ports[1].TargetPort != FromString("dns") || svc.Spec.Ports[1].Protocol != "UDP" {
		t.Errorf("service %+v", svc.Spec)
	}
	sec := decodeOne(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: eA==}\nstringData: {a: v, b: z}\n").(*Secret)
	SetDefaults(sec)
	if sec.Type != "Opaque" || string(sec.Data["a"]) != "v" || string(sec.Data["b"]) != "z" || sec.StringData != nil {
		t.Errorf("secret %+v", sec)
	}
	ds := decodeOne(t, "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\n").(*DaemonSet)
	SetDefaults(ds)
	if ds.Spec.UpdateStrategy.Type != "RollingUpdate" || ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.String() != "1" || *ds.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("daemonset %+v", ds.Spec)
	}
	rs := decodeOne(t, "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r}\n").(*ReplicaSet)
	SetDefaults(rs)
	if *rs.Spec.Replicas != 1 {
		t.Errorf("replicaset replicas %d", *rs.Spec.Replicas)
	}
	ns := &Namespace{}
	SetDefaults(ns)
	if ns.Status.Phase != "Active" {
		t.Errorf("namespace phase %q", ns.Status.Phase)
	}
	recreate := decodeOne(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {strategy: {type: Recreate}, replicas: 0}\n").(*Deployment)
	SetDefaults(recreate)
	if recreate.Spec.Strategy.RollingUpdate != nil || *recreate.Spec.Replicas != 0 {
		t.Errorf("recreate %+v", recreate.Spec)
	}
	SetDefaults(nil)
	SetDefaults((*Pod)(nil))
}

func TestDefaultPullPolicy(t *testing.T) {
	tests := []struct{ image, want string }{
		{"nginx", "Always"},
		{"nginx:latest", "Always"},
		{"nginx:1.14.2", "IfNotPresent"},
		{"localhost:5000/app", "Always"},
		{"localhost:5000/app:v1", "IfNotPresent"},
		{"ghcr.io/x/app@sha256:abcd", "IfNotPresent"},
		{"./hello.wasm", "IfNotPresent"},
		{"hello.wasm", "IfNotPresent"},
		{"oci:/images/app:v1", "IfNotPresent"},
		{"oci-archive:app.tar", "IfNotPresent"},
		{"https://example.com/app.wasm", "IfNotPresent"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			if got := defaultPullPolicy(tt.image); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSetDefaultsIdempotent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		docs, _ := DecodeManifest(readTestdata(t, filepath.Base(name)))
		for _, d := range docs {
			t.Run(filepath.Base(name)+"/"+d.Kind.Kind, func(t *testing.T) {
				SetDefaults(d.Object)
				once, _ := json.Marshal(d.Object)
				SetDefaults(d.Object)
				twice, _ := json.Marshal(d.Object)
				if string(once) != string(twice) {
					t.Errorf("changed by a second SetDefaults:\n%s\n%s", once, twice)
				}
			})
		}
	}
}
