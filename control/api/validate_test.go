package api

import (
	"strings"
	"testing"
)

// podWith is a valid pod with spec lines appended (indented by two spaces under spec).
func podWith(spec string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + spec
}

const oneContainer = "  containers:\n  - name: app\n    image: app.wasm\n"

func deploymentWith(spec string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
` + spec
}

const goodTemplate = `  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web.wasm
`

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string // every problem, in order; none for a valid object
	}{
		{"valid pod", podWith(oneContainer), nil},
		{"name required", "apiVersion: v1\nkind: Pod\nspec:\n" + oneContainer,
			[]string{"metadata.name: Required value: name or generateName is required"}},
		{"generateName is enough", "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec:\n" + oneContainer, nil},
		{"bad names", "apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1, namespace: my.ns}\nspec:\n" + oneContainer, []string{
			`metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')`,
			`metadata.namespace: Invalid value: "my.ns": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')`,
		}},
		{"labels and annotations", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {\"a/b/c\": x, ok: \"-bad\"}\n  annotations: {\"example.com/\": x}\nspec:\n" + oneContainer, []string{
			`metadata.labels[a/b/c]: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
			`metadata.labels[ok]: Invalid value: "-bad": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345')`,
			`metadata.annotations[example.com/]: Invalid value: "example.com/": name part must be non-empty`,
		}},
		{"namespace on a cluster object", "apiVersion: v1\nkind: Node\nmetadata: {name: n1, namespace: default}\n",
			[]string{"metadata.namespace: Forbidden: not allowed on this type"}},
		{"service names are DNS-1035 labels", "apiVersion: v1\nkind: Service\nmetadata: {name: 1st}\nspec:\n  ports: [{port: 80}]\n", []string{
			`metadata.name: Invalid value: "1st": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')`,
		}},
		{"no containers", podWith("  restartPolicy: Always\n"), []string{"spec.containers: Required value"}},
		{"container problems", podWith(`  initContainers:
  - name: web
    image: init.wasm
    livenessProbe: {tcpSocket: {port: 80}}
  containers:
  - name: web
    image: " web.wasm"
    imagePullPolicy: Sometimes
  - name: Side_car
`), []string{
			"spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers",
			`spec.containers[0].name: Duplicate value: "web"`,
			`spec.containers[0].image: Invalid value: " web.wasm": must not have leading or trailing whitespace`,
			`spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`,
			`spec.containers[1].name: Invalid value: "Side_car": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')`,
			"spec.containers[1].image: Required value",
		}},
		{"ports", podWith(`  containers:
  - name: a
    image: a.wasm
    ports:
    - {containerPort: 0}
    - {containerPort: 70000, name: web, protocol: HTTP}
    - {containerPort: 80, name: web, hostPort: 8080}
    - {containerPort: 81, name: web--x, hostPort: 8080}
`), []string{
			"spec.containers[0].ports[0].containerPort: Required value",
			"spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
			`spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"`,
			`spec.containers[0].ports[2].name: Duplicate value: "web"`,
			`spec.containers[0].ports[3].name: Invalid value: "web--x": must not contain consecutive hyphens`,
			`spec.containers[0].ports[3].hostPort: Duplicate value: "8080/TCP"`,
		}},
		{"pod-level fields", podWith(oneContainer + `  restartPolicy: Sometimes
  dnsPolicy: Google
  terminationGracePeriodSeconds: -1
  runtimeClassName: gvisor
  nodeSelector: {"disk type": ssd}
`), []string{
			`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`,
			`spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"`,
			"spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0",
			`spec.nodeSelector[disk type]: Invalid value: "disk type": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')`,
			`spec.runtimeClassName: Unsupported value: "gvisor": supported values: "runc", "wasm"`,
		}},
		{"volumes and mounts", podWith(`  volumes:
  - name: data
    emptyDir: {}
  - name: data
    hostPath: {path: /srv}
    emptyDir: {}
  - name: nothing
  - name: cfg
    configMap:
      name: cfg
      items: [{key: a, path: /etc/a}]
  containers:
  - name: a
    image: a.wasm
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: cache, mountPath: /data}
    - {name: cfg, mountPath: ""}
`), []string{
			`spec.volumes[1].name: Duplicate value: "data"`,
			"spec.volumes[1].hostPath: Forbidden: may not specify more than 1 volume type",
			"spec.volumes[2]: Required value: must specify a volume type",
			`spec.volumes[3].configMap.items[0].path: Invalid value: "/etc/a": must be a relative path`,
			`spec.containers[0].volumeMounts[1].name: Not found: "cache"`,
			`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique`,
			"spec.containers[0].volumeMounts[2].mountPath: Required value",
		}},
		{"env", podWith(`  containers:
  - name: a
    image: a.wasm
    env:
    - name: 1ST
      value: x
    - name: B
      value: x
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: C
      valueFrom: {fieldRef: {fieldPath: spec.containers}}
    - name: D
      valueFrom: {}
    - name: E
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
`), []string{
			`spec.containers[0].env[0].name: Invalid value: "1ST": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1')`,
			"spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
			`spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.containers": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
			"spec.containers[0].env[3].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `configMapKeyRef` or `secretKeyRef`",
		}},
		{"probes", podWith(`  containers:
  - name: a
    image: a.wasm
    livenessProbe: {periodSeconds: -1}
    readinessProbe:
      httpGet: {port: 0}
      tcpSocket: {port: http}
    startupProbe:
      successThreshold: 2
      exec: {command: ["true"]}
`), []string{
			"spec.containers[0].livenessProbe: Required value: must specify a handler type",
			"spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
			"spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
			"spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
			"spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1",
		}},
		{"resources", podWith(`  containers:
  - name: a
    image: a.wasm
    resources:
      requests: {cpu: "2", memory: -1Mi, gpu: 1}
      limits: {cpu: 500m, example.com/fpga: 1}
`), []string{
			`spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified`,
			`spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0`,
			`spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 500m`,
		}},
		{"tolerations and affinity", podWith(oneContainer + `  tolerations:
  - {operator: Equal, value: x}
  - {key: k, operator: Exists, value: v}
  - {key: k, operator: Matches}
  - {key: k, effect: NoSchedule, tolerationSeconds: 5}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: zone, operator: In}
          - {key: cores, operator: Gt, values: [many]}
          - {key: zone, operator: Near, values: [a]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 0
        preference: {matchFields: [{key: metadata.name, operator: In, values: [a, b]}]}
`), []string{
			"spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
			"spec.tolerations[1].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
			`spec.tolerations[2].operator: Unsupported value: "Matches": supported values: "Equal", "Exists"`,
			"spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values[0]: Invalid value: \"many\": must be an integer when `operator` is 'Lt' or 'Gt'",
			`spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"`,
			"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
			"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
		}},
		{"valid deployment", deploymentWith("  selector: {matchLabels: {app: web}}\n" + goodTemplate), nil},
		{"deployment selector required", deploymentWith(goodTemplate), []string{"spec.selector: Required value"}},
		{"deployment selector empty", deploymentWith("  selector: {}\n" + goodTemplate),
			[]string{"spec.selector: Invalid value: {}: empty selector is invalid for deployment"}},
		{"selector does not match template", deploymentWith("  selector: {matchLabels: {app: api}}\n" + goodTemplate),
			[]string{"spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"}},
		{"bad label selector", deploymentWith(`  selector:
    matchExpressions:
    - {key: app, operator: Exists, values: [web]}
    - {key: app, operator: Like, values: [web]}
    - {key: "-app", operator: NotIn}
` + goodTemplate), []string{
			"spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
			`spec.selector.matchExpressions[1].operator: Unsupported value: "Like": supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
			`spec.selector.matchExpressions[2].key: Invalid value: "-app": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')`,
			"spec.selector.matchExpressions[2].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
		}},
		{"deployment numbers and strategy", deploymentWith(`  replicas: -1
  selector: {matchLabels: {app: web}}
  strategy:
    type: Recreate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 0%}
  revisionHistoryLimit: -2
` + goodTemplate + "      restartPolicy: Never\n"), []string{
			"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
			`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
			"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
			"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
			"spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
		}},
		{"rollout percentages", deploymentWith(`  selector: {matchLabels: {app: web}}
  strategy:
    rollingUpdate: {maxUnavailable: 120%, maxSurge: half}
` + goodTemplate), []string{
			`spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%`,
			`spec.strategy.rollingUpdate.maxSurge: Invalid value: "half": must be an integer or percentage (e.g '5%')`,
		}},
		{"daemonset", `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: web}}
  updateStrategy: {type: Always}
` + goodTemplate, []string{`spec.updateStrategy.type: Unsupported value: "Always": supported values: "RollingUpdate", "OnDelete"`}},
		{"valid service", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports:\n  - {name: http, port: 80, targetPort: http, nodePort: 30080}\n  - {name: https, port: 443, targetPort: 8443}\n", nil},
		{"headless service without ports", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: None, selector: {app: web}}\n", nil},
		{"external name", "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {type: ExternalName, externalName: db.example.com.}\n", nil},
		{"service problems", `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: Balanced
  clusterIP: 10.96.0.300
  sessionAffinity: Sticky
  ports:
  - {port: 0, targetPort: 70000}
  - {name: http, port: 80, nodePort: 30080, targetPort: "Http"}
  - {name: http, port: 81, protocol: ICMP}
`, []string{
			`spec.type: Unsupported value: "Balanced": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"`,
			`spec.clusterIP: Invalid value: "10.96.0.300": must be empty, 'None', or a valid IP address`,
			"spec.ports[0].name: Required value",
			"spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
			"spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
			`spec.ports[1].targetPort: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
			"spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'Balanced'",
			`spec.ports[2].name: Duplicate value: "http"`,
			`spec.ports[2].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`,
			`spec.sessionAffinity: Unsupported value: "Sticky": supported values: "None", "ClientIP"`,
		}},
		{"service ports required", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n", []string{"spec.ports: Required value"}},
		{"nodePort range", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 8080}]}\n",
			[]string{"spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767"}},
		{"nodePort on ClusterIP", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80, nodePort: 30080}]}\n",
			[]string{"spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"}},
		{"ingress problems", `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: 10.0.0.1
  - host: "*.example.com"
    http:
      paths:
      - path: api
        pathType: Prefix
        backend: {service: {name: api, port: {number: 80, name: http}}}
      - path: /
        backend: {service: {name: web}}
      - path: /x
        pathType: Regex
        backend: {}
  - host: "foo.*.com"
    http: {paths: []}
`, []string{
			`spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`,
			`spec.rules[1].http.paths[0].path: Invalid value: "api": must be an absolute path`,
			"spec.rules[1].http.paths[0].backend.service.port: Invalid value: {...}: cannot set both port name & port number",
			"spec.rules[1].http.paths[1].pathType: Required value: pathType must be specified",
			"spec.rules[1].http.paths[1].backend.service.port: Required value: port name or number is required",
			`spec.rules[1].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "Prefix", "ImplementationSpecific"`,
			"spec.rules[1].http.paths[2].backend: Required value: one of `backend.service` or `backend.resource` must be specified",
			`spec.rules[2].host: Invalid value: "foo.*.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')`,
			"spec.rules[2].http.paths: Required value",
		}},
		{"ingress needs rules or a default backend", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec: {}\n",
			[]string{"spec: Invalid value: {}: either `defaultBackend` or `rules` must be specified"}},
		{"configmap keys", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {\"a b\": x, ..: v, ok: z}\nbinaryData: {ok: eA==}\n", []string{
			`data[..]: Invalid value: "..": must not be '..'`,
			`data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name')`,
			"binaryData[ok]: Invalid value: \"ok\": duplicate of key present in `data`",
		}},
		{"configmap size", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {big: " + strings.Repeat("x", 1<<20+1) + "}\n",
			[]string{"data: Too long: must have at most 1048576 bytes"}},
		{"tls secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: {tls.crt: x}\n",
			[]string{"data[tls.key]: Required value"}},
		{"node taints", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec:\n  podCIDR: 10.88.1.0/33\n  taints: [{key: a, effect: NoSchedule}, {key: a, effect: NoSchedule}, {key: b}]\n", []string{
			`spec.taints[1]: Duplicate value: "a:NoSchedule"`,
			"spec.taints[2].effect: Required value",
			`spec.podCIDR: Invalid value: "10.88.1.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`,
		}},
		{"namespace", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}\n", []string{
			`metadata.name: Invalid value: "team.a": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')`,
		}},
		{"event", "apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: a}\ninvolvedObject: {kind: Pod, name: p, namespace: b}\ntype: Info\n", []string{
			`type: Unsupported value: "Info": supported values: "Normal", "Warning"`,
			`involvedObject.namespace: Invalid value: "b": does not match event.namespace`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate(decodeOne(t, tt.manifest))
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	deploy := deploymentWith("  selector: {matchLabels: {app: web}}\n" + goodTemplate)
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"unchanged", deploy, deploy, nil},
		{"renamed", deploy, strings.Replace(deploy, "name: web\n", "name: web2\n", 1), []string{`metadata.name: Invalid value: "web2": field is immutable`}},
		{"new namespace", deploy, strings.Replace(deploy, "name: web\n", "name: web\n  namespace: other\n", 1), []string{`metadata.namespace: Invalid value: "other": field is immutable`}},
		{"selector changed", deploy, deploymentWith("  selector: {matchLabels: {app: web, tier: a}}\n" + strings.Replace(goodTemplate, "{app: web}", "{app: web, tier: a}", 1)),
			[]string{"spec.selector: Invalid value: app=web,tier=a: field is immutable"}},
		{"same selector written differently", deploy, deploymentWith("  selector:\n    matchLabels:\n      app: web\n    matchExpressions: []\n" + goodTemplate), nil},
		{"clusterIP set", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n",
			"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.11, ports: [{port: 80}]}\n",
			[]string{`spec.clusterIP: Invalid value: "10.96.0.11": field is immutable`}},
		{"clusterIP assigned", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
			"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.11, ports: [{port: 80}]}\n", nil},
		{"immutable configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: b}\n",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: c}\n", []string{
				"immutable: Forbidden: field is immutable when `immutable` is set",
				"data: Forbidden: field is immutable when `immutable` is set",
			}},
		{"immutable secret unchanged", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nimmutable: true\ndata: {a: eA==}\n",
			"apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {new: label}}\nimmutable: true\ndata: {a: eA==}\n", nil},
		{"mutable configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: c}\n", nil},
		{"kind changed", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "apiVersion: v1\nkind: Secret\nmetadata: {name: c}\n",
			[]string{`kind: Invalid value: "Secret": may not change the kind of an object`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range ValidateUpdate(decodeOne(t, tt.new), decodeOne(t, tt.old)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if errs := Validate(nil); len(errs) != 1 {
		t.Errorf("Validate(nil) = %v", errs)
	}
	if errs := Validate((*Pod)(nil)); len(errs) != 1 {
		t.Errorf("Validate((*Pod)(nil)) = %v", errs)
	}
	if errs := ValidateUpdate(&Namespace{ObjectMeta: ObjectMeta{Name: "a"}}, nil); errs != nil {
		t.Errorf("ValidateUpdate(ns, nil) = %v", errs)
	}
}
