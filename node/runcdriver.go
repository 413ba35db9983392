package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/netproxy"
	"github.com/wk-project/wk/node/runc"
)

// runcDriver runs the containers of Linux OCI images with runc: a rootfs per image in a cache, an
// overlay of it per container, a network namespace per pod on the node's bridge (CNI), and the
// containers' stdout and stderr straight into their log files, so that they outlive the agent.
type runcDriver struct {
	rt       *runc.Runtime
	dir      string // DATA/runc: images (the rootfs cache and what each image is), state, cni
	keychain authn.Keychain
	proxy    *netproxy.Proxy
	log      *slog.Logger
	dns      chan netip.Addr // the bridge's gateway, once the first pod made the bridge

	mu      sync.Mutex
	network *runc.Network        // set once the node has its pod CIDR
	images  map[string]runcImage // image id (config digest) -> its rootfs and config
	pulled  map[string]string    // image -> id, for images pulled before
}

type runcImage struct {
	rootfs string
	config runc.ImageConfig
}

var _ Driver = (*runcDriver)(nil)

// runcCgroupParent holds the cgroups of wk's containers: /sys/fs/cgroup[/CONTROLLER]/wk/ID.
const runcCgroupParent = "/wk"

func newRuncDriver(dir string, proxy *netproxy.Proxy, log *slog.Logger) *runcDriver {
	return &runcDriver{
		rt:       &runc.Runtime{Root: filepath.Join(dir, "state")},
		dir:      dir,
		keychain: authn.DefaultKeychain,
		proxy:    proxy,
		log:      log,
		dns:      make(chan netip.Addr, 1),
		images:   map[string]runcImage{},
		pulled:   map[string]string{},
	}
}

// useNetwork gives the driver the node's pod CIDR: its bridge is named after it, so that the
// nodes of a local multi-node cluster each have their own. It returns the pod IPs the node's
// network holds from before, by pod UID.
func (d *runcDriver) useNetwork(cidr netip.Prefix, pluginDir string) map[netip.Addr]string {
	b := cidr.Addr().As4()
	n := &runc.Network{
		Name:      "wk",
		Bridge:    fmt.Sprintf("wkbr-%d-%d", b[1], b[2]),
		Subnet:    cidr,
		PluginDir: pluginDir,
		StateDir:  filepath.Join(d.dir, "cni"),
	}
	d.mu.Lock()
	d.network = n
	d.mu.Unlock()
	return n.Reservations()
}

// Pull makes the image's rootfs and config ready. An image pulled before on this node (recorded
// under DATA/runc/images) is not looked up again unless the pod's imagePullPolicy is Always, so
// that a restarted agent adopts its containers with the registry away.
func (d *runcDriver) Pull(ctx context.Context, pod *api.Pod, image string) (string, error) {
	if !pullAlways(pod, image) {
		if id, ok := d.known(image); ok {
			return id, nil
		}
	}
	r, err := parseOCIRef(image)
	if err != nil {
		return "", &imageError{reason: "InvalidImageName", err: err}
	}
	img, cleanup, err := r.open(ctx, d.keychain)
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	defer cleanup()
	cf, err := img.ConfigFile()
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: config: %w", image, err)}
	}
	name, err := img.ConfigName()
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	rootfs, err := runc.RootfsFor(d.imagesDir(), img)
	if err != nil {
		return "", &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	id := name.String()
	ri := runcImage{rootfs: rootfs, config: runc.ImageConfigFrom(cf.Config)}
	if err := d.record(image, id, ri); err != nil {
		d.log.Warn("pulled image not recorded", "image", image, "err", err)
	}
	d.mu.Lock()
	d.images[id], d.pulled[image] = ri, id
	d.mu.Unlock()
	return id, nil
}

func (d *runcDriver) imagesDir() string { return filepath.Join(d.dir, "images") }

// imageRecord is what the node knows of an image it pulled: DATA/runc/images/refs/SHA256(IMAGE).
type imageRecord struct {
	Image  string           `json:"image"`
	ID     string           `json:"id"`
	Rootfs string           `json:"rootfs"`
	Config runc.ImageConfig `json:"config"`
}

func (d *runcDriver) recordPath(image string) string {
	sum := sha256.Sum256([]byte(image))
	return filepath.Join(d.imagesDir(), "refs", hex.EncodeToString(sum[:]))
}

func (d *runcDriver) record(image, id string, ri runcImage) error {
	b, err := json.Marshal(imageRecord{Image: image, ID: id, Rootfs: ri.rootfs, Config: ri.config})
	if err != nil {
		return err
	}
	return writeFileAtomic(d.recordPath(image), b)
}

// known is the id of an image pulled before, in this agent's life or an earlier one's.
func (d *runcDriver) known(image string) (string, bool) {
	d.mu.Lock()
	id, ok := d.pulled[image]
	d.mu.Unlock()
	if ok {
		return id, true
	}
	b, err := os.ReadFile(d.recordPath(image))
	if err != nil {
		return "", false
	}
	var rec imageRecord
	if json.Unmarshal(b, &rec) != nil || rec.Image != image {
		return "", false
	}
	if fi, err := os.Stat(rec.Rootfs); err != nil || !fi.IsDir() {
		return "", false
	}
	d.mu.Lock()
	d.images[rec.ID], d.pulled[image] = runcImage{rootfs: rec.Rootfs, config: rec.Config}, rec.ID
	d.mu.Unlock()
	return rec.ID, true
}

func (d *runcDriver) NewSandbox(ctx context.Context, spec SandboxSpec) (Sandbox, error) {
	d.mu.Lock()
	network := d.network
	d.mu.Unlock()
	if network == nil {
		return nil, errors.New("the node has no pod network yet")
	}
	netns, err := network.Setup(ctx, spec.Pod.UID, spec.IP)
	if err != nil {
		return nil, err
	}
	select {
	case d.dns <- network.Gateway():
	default:
	}
	s := &runcSandbox{d: d, pod: spec.Pod, dir: spec.Dir, ip: spec.IP, netns: netns, network: network, volumes: spec.Volumes}
	if err := s.writeEtc(network.Gateway()); err != nil {
		network.Teardown(context.WithoutCancel(ctx), spec.Pod.UID)
		return nil, err
	}
	d.proxy.SetDirectPod(spec.IP, true)
	return s, nil
}

// runDNS serves the cluster's names at the bridge's gateway, the runc pods' nameserver, from when
// the first pod made the bridge until ctx ends; a server that fails is started again.
func (d *runcDriver) runDNS(ctx context.Context) error {
	var gateway netip.Addr
	select {
	case <-ctx.Done():
		return nil
	case gateway = <-d.dns:
	}
	addr := netip.AddrPortFrom(gateway, 53).String()
	srv := netproxy.NewDNSServer(d.proxy.LookupService, d.log)
	for {
		d.log.Info("cluster DNS server listening", "addr", addr)
		err := srv.Run(ctx, addr)
		if ctx.Err() != nil {
			return nil
		}
		d.log.Warn("cluster DNS server stopped, will retry", "addr", addr, "retry", 5*time.Second, "err", err)
		if !sleepCtx(ctx, 5*time.Second) {
			return nil
		}
	}
}

// sweep removes what runc pods of this node left that no worker runs: pods deleted while the
// agent was away, or ended before it restarted. It looks at this agent's own records only (runc's
// state, the pods' folders, the network's reservations), as other agents may share the machine,
// and returns the UIDs it removed.
func (d *runcDriver) sweep(ctx context.Context, podsDir string, keep func(uid string) bool) []string {
	containers := map[string][]string{} // UID -> container ids
	entries, _ := os.ReadDir(d.rt.Root)
	for _, e := range entries {
		if uid, ok := uidOfContainer(e.Name()); ok {
			containers[uid] = append(containers[uid], e.Name())
		}
	}
	uids := map[string]bool{}
	for uid := range containers {
		uids[uid] = true
	}
	pods, _ := os.ReadDir(podsDir)
	for _, p := range pods {
		uids[p.Name()] = true
	}
	d.mu.Lock()
	network := d.network
	d.mu.Unlock()
	if network != nil {
		for _, uid := range network.Reservations() {
			uids[uid] = true
		}
	}
	var removed []string
	for uid := range uids {
		if keep(uid) {
			continue
		}
		for _, id := range containers[uid] {
			if err := d.rt.Delete(ctx, id, true); err != nil {
				d.log.Warn("left-over container not deleted", "id", id, "err", err)
			}
		}
		bundles, _ := filepath.Glob(filepath.Join(podsDir, uid, "runc", "*"))
		for _, b := range bundles {
			if err := runc.RemoveOverlay(b); err != nil {
				d.log.Warn("left-over container rootfs not removed", "bundle", b, "err", err)
			}
		}
		if network != nil {
			if err := network.Teardown(ctx, uid); err != nil {
				d.log.Warn("left-over pod network not removed", "uid", uid, "err", err)
			}
		}
		removed = append(removed, uid)
	}
	return removed
}

// uidOfContainer reads the pod UID out of a container id wk-UID-NAME.
func uidOfContainer(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, "wk-")
	if !ok || len(rest) < 38 || rest[36] != '-' {
		return "", false
	}
	return rest[:36], true
}
