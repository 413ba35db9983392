package client

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// File is the client configuration file that `wk up` writes (default ~/.wk/config).
type File struct {
	APIVersion               string `json:"apiVersion"`
	Kind                     string `json:"kind"`
	Server                   string `json:"server"`
	Token                    string `json:"token"`
	CertificateAuthorityData []byte `json:"certificateAuthorityData,omitempty"`
}

// LoadFile reads a client configuration file.
func LoadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var f File
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return Config{}, fmt.Errorf("read client config %s: %w", path, err)
	}
	return Config{Server: f.Server, Token: f.Token, CAData: f.CertificateAuthorityData}, nil
}

// WriteFile writes cfg to path (mode 0600, folders made as needed), replacing it atomically.
func WriteFile(path string, cfg Config) error {
	b, err := yaml.Marshal(File{APIVersion: "wk.io/v1", Kind: "Config", Server: cfg.Server, Token: cfg.Token, CertificateAuthorityData: cfg.CAData})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	return os.Rename(tmp, path)
}
