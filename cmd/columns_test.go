package cmd

import "testing"

// servicesManifest has a NodePort Service with explicit addresses, a headless one, and Endpoints
// written by hand (the test cluster runs no controllers): four ready addresses, one not ready, and
// none.
const servicesManifest = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  clusterIP: 10.96.0.50
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 9876
    nodePort: 30080
  - name: metrics
    port: 9090
    nodePort: 30090
---
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector:
    app: db
  ports:
  - port: 5432
---
apiVersion: v1
kind: Endpoints
metadata:
  name: web
subsets:
- addresses:
  - ip: 10.88.0.2
  - ip: 10.88.1.3
  notReadyAddresses:
  - ip: 10.88.1.9
  ports:
  - name: http
    port: 9876
  - name: metrics
    port: 9090
---
apiVersion: v1
kind: Endpoints
metadata:
  name: db
`

func TestGetServicesAndEndpoints(t *testing.T) {
	c := newCluster(t)
	if _, errs, code := c.wk(t, servicesManifest, "apply", "-f", "-"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	out, errs, _ := c.wk(t, "", "get", "svc")
	golden(t, "get-svc", out+errs)
	out, errs, _ = c.wk(t, "", "get", "ep")
	golden(t, "get-ep", out+errs)
	out, errs, _ = c.wk(t, "", "describe", "svc", "web")
	golden(t, "describe-service", out+errs)
}
