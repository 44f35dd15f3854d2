package config

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"gopkg.in/yaml.v3"
)

// secretKey is a key of recon.yaml that holds a credential (the values
// Config.Secrets returns), with the environment variable that can carry
// it instead.
type secretKey struct {
	key, env string
	value    func(*fileSecrets) string
}

// fileSecrets is the part of recon.yaml that can hold a secret, read as
// the file spells it, before ${VAR} expansion.
type fileSecrets struct {
	Database string `yaml:"database"`
	Xepeng   struct {
		ClientSecret string `yaml:"client_secret"`
	} `yaml:"xepeng"`
	OxPay struct {
		APIKey  string `yaml:"api_key"`
		SignKey string `yaml:"sign_key"`
	} `yaml:"oxpay"`
}

var secretKeys = []secretKey{
	{"database (its password)", "PGPASSWORD", func(s *fileSecrets) string { return databasePassword(s.Database) }},
	{"xepeng.client_secret", EnvXepengClientSecret, func(s *fileSecrets) string { return s.Xepeng.ClientSecret }},
	{"oxpay.api_key", EnvOxPayAPIKey, func(s *fileSecrets) string { return s.OxPay.APIKey }},
	{"oxpay.sign_key", EnvOxPaySignKey, func(s *fileSecrets) string { return s.OxPay.SignKey }},
}

// FileWarnings returns a warning when the config file at path is
// readable by its group or by others and holds a secret written out in
// it (a value other than ${VAR} references, which Load fills from the
// environment). The warning names the file, its mode, the keys (never
// their values) and the fix. It returns nil for a file that is private,
// holds no literal secret, or on Windows, where the mode bits say
// nothing about who can read a file. An unreadable or unparsable file is
// an error; Load would have refused it too.
func FileWarnings(path string) ([]string, error) {
	if path == "" || runtime.GOOS == "windows" {
		return nil, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("check config permissions: %w", err)
	}
	mode := info.Mode().Perm()
	if mode&0o044 == 0 {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("check config permissions: %w", err)
	}
	var s fileSecrets
	if err := yaml.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("check config permissions of %s: %w", path, err)
	}
	var keys, envs []string
	for _, k := range secretKeys {
		if literalSecret(k.value(&s)) {
			keys = append(keys, k.key)
			envs = append(envs, k.env)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	who := "others"
	switch {
	case mode&0o040 != 0 && mode&0o004 != 0:
		who = "its group and others"
	case mode&0o040 != 0:
		who = "its group"
	}
	return []string{fmt.Sprintf("config %s is readable by %s (mode %04o) and holds %s in plain text: run chmod 600 %s, or set %s in the environment (or ${VAR} in the file) instead",
		path, who, mode, strings.Join(keys, ", "), path, strings.Join(envs, ", "))}, nil
}

// literalSecret reports whether a value as written in the file holds
// more than ${VAR} references and white space: a secret in plain text.
func literalSecret(v string) bool {
	return strings.TrimSpace(envRef.ReplaceAllString(v, "")) != ""
}
