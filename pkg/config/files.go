package config

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// files are the configuration files that were loaded, and their accounts in the order
// --from matching sees them (spec-cli-config.md §2.9).
type files struct {
	system, user *File
	accounts     []*Account
}

// loadFiles loads the system and the user configuration file (§2.1) and merges their
// accounts: first the system accounts whose names do not occur in the user file, then all
// user accounts. A user account replaces a system account of the same name completely.
func loadFiles(env *Env, userFile OptString, info io.Writer) (*files, error) {
	var fs files
	sys := SystemFile(*env)
	f, err := loadFile(env, sys)
	switch {
	case errors.Is(err, errOpen):
		fmt.Fprintf(info, "ignoring system configuration file %s: %s\n", sys, strerror(err))
	case err != nil:
		return nil, err
	default:
		fs.system = f
		fmt.Fprintf(info, "loaded system configuration file %s\n", sys)
	}

	name, explicit := userFile.Value, userFile.Set
	if !explicit {
		name = UserFile(*env)
	}
	f, err = loadFile(env, name)
	if err == nil {
		err = checkPermissions(env, f)
	}
	switch {
	case errors.Is(err, errOpen) && explicit:
		return nil, fileError(name, KindIO, err, "%s", strerror(err))
	case errors.Is(err, errOpen):
		fmt.Fprintf(info, "ignoring user configuration file %s: %s\n", name, strerror(err))
	case err != nil:
		return nil, err
	default:
		fs.user = f
		fmt.Fprintf(info, "loaded user configuration file %s\n", name)
	}

	if fs.system != nil {
		for _, a := range fs.system.Accounts {
			if fs.user == nil || fs.user.Account(a.Name) == nil {
				fs.accounts = append(fs.accounts, a)
			}
		}
	}
	if fs.user != nil {
		fs.accounts = append(fs.accounts, fs.user.Accounts...)
	}
	return &fs, nil
}

// errOpen marks a file that could not be opened; whether that is an error depends on
// which file it was.
var errOpen = errors.New("cannot open")

func loadFile(env *Env, name string) (*File, error) {
	r, err := env.open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errOpen, err)
	}
	defer r.Close()
	return Parse(r, name, ParseOptions{Home: env.home(), Eval: env.Eval})
}

// checkPermissions is upstream's rule for a user file with a password in it (§2.8): it
// must be owned by the effective user and have no permission bits beyond u+rw. It does not
// apply to root, on Windows, or to files without a literal password line.
func checkPermissions(env *Env, f *File) error {
	if !f.HasPassword || env.Euid == 0 || env.Euid < 0 || env.windows() {
		return nil
	}
	fi, err := env.stat(f.Name)
	if err != nil {
		return fileError(f.Name, KindIO, err, "%s", strerror(err))
	}
	if fi.UID != env.Euid {
		return fileError(f.Name, KindConfig, ErrInsecurePermissions, "contains secrets and therefore must be owned by you")
	}
	if fi.Mode.Perm()&0o177 != 0 {
		return fileError(f.Name, KindConfig, ErrInsecurePermissions,
			"contains secrets and therefore must have no more than user read/write permissions")
	}
	return nil
}

// notFound is the error for an account that is not in the loaded files.
func (fs *files) notFound(id string) error {
	var where []string
	for _, f := range []*File{fs.system, fs.user} {
		if f != nil {
			where = append(where, f.Name)
		}
	}
	msg := fmt.Sprintf("account %s not found: no configuration file available", id)
	if len(where) > 0 {
		msg = fmt.Sprintf("account %s not found in %s", id, strings.Join(where, " and "))
	}
	return &Error{Msg: sanitize(msg), Kind: KindConfig, Err: ErrAccountNotFound}
}

func (fs *files) find(id string) *Account {
	for _, a := range fs.accounts {
		if a.Name == id {
			return a
		}
	}
	return nil
}
