//go:build unix

package config

import (
	"os"
	"syscall"
)

// osStat is Env.Stat on Unix: the mode and owner of a file, following symbolic links.
func osStat(name string) (FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return FileInfo{}, err
	}
	uid := -1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		uid = int(st.Uid)
	}
	return FileInfo{Mode: fi.Mode(), UID: uid}, nil
}
