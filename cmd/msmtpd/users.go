package main

import (
	"context"

	"github.com/emersion/go-sasl"

	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/server"
)

// authHost is the host part of the keyring key of msmtpd's own password, as upstream looks
// it up: (localhost, smtp, USER).
const authHost = "localhost"

// loadUsers gets every user's password once, at start-up, as upstream does: a stored password,
// the first line of a passwordeval command, or the keyring and then a prompt on the
// terminal.
func loadUsers(ctx context.Context, specs []userSpec, sys *system) (auth.Users, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	users := auth.Users{}
	for _, u := range specs {
		switch {
		case u.hasPassword:
			p, err := auth.ParsePassword(u.password)
			if err != nil {
				return nil, usagef("password of user %s: %v", u.name, err)
			}
			users[u.name] = p
		case u.hasEval:
			out, err := sys.runner.Eval(ctx, u.passwordEval)
			if err != nil {
				return nil, usagef("cannot get password: %v", err)
			}
			// Compared as given, even if it looks like a bcrypt hash (upstream compares
			// literally).
			users[u.name] = auth.PlainPassword(out)
		default:
			src := &secret.Sources{Keyring: sys.keyring, Terminal: sys.terminal}
			p, err := src.Password(ctx, secret.Query{Host: authHost, User: u.name})
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, usagef("cannot get password for (%s, %s, %s)", authHost, secret.Service, u.name)
			}
			users[u.name] = auth.PlainPassword(p.Reveal())
		}
	}
	return users, nil
}

// authMechanisms offers PLAIN and LOGIN against the user table. A client that authenticates
// becomes the session's user (the Received header then says ESMTPA).
func authMechanisms(users auth.Users) []server.AuthMechanism {
	mechanism := func(name string, newServer func(auth.VerifyFunc) sasl.Server) server.AuthMechanism {
		return server.AuthMechanism{
			Name: name,
			New: func(_ server.ConnInfo, login func(string)) sasl.Server {
				return newServer(func(user, password string) error {
					if err := users.Verify(user, password); err != nil {
						return err
					}
					login(user)
					return nil
				})
			},
		}
	}
	return []server.AuthMechanism{
		mechanism("PLAIN", auth.NewPlainServer),
		mechanism("LOGIN", auth.NewLoginServer),
	}
}
