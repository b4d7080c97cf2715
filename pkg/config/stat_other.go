//go:build !unix

package config

import "os"

// osStat is Env.Stat where files have no Unix owner (Windows): the owner is -1, and the
// permission check does not run there.
func osStat(name string) (FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Mode: fi.Mode(), UID: -1}, nil
}
