package wasmrt

import (
	"fmt"
	"path"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// netMount is where a module finds outbound sockets.
const netMount = "/net"

// mount mounts the container's volumes, then /net. Preopened descriptors
// follow the same order, from 3.
func (s *Sandbox) mount(p *Process, mounts []Mount) (wazero.FSConfig, error) {
	cfg := wazero.NewFSConfig()
	seen := map[string]bool{netMount: true}
	for _, m := range mounts {
		dir, ok := s.cfg.Volumes[m.Volume]
		if !ok {
			return nil, fmt.Errorf("mount %s: no volume %q", m.Path, m.Volume)
		}
		if !path.IsAbs(m.Path) || path.Clean(m.Path) != m.Path || seen[m.Path] {
			return nil, fmt.Errorf("mount %s: path must be absolute, clean, unique and not %s", m.Path, netMount)
		}
		seen[m.Path] = true
		vol, err := openVolume(dir, m.ReadOnly)
		if err != nil {
			return nil, fmt.Errorf("mount %s: %w", m.Path, err)
		}
		p.hold(vol)
		cfg = cfg.(sysfs.FSConfig).WithSysFSMount(vol.fs(), m.Path)
	}
	return cfg.(sysfs.FSConfig).WithSysFSMount(&netFS{sandbox: s, p: p}, netMount), nil
}
