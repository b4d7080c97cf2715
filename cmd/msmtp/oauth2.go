package main

// --oauth2-login (our extension, docs/oauth2.md): authorize msmtp at the account's OAuth2
// provider, with the device code flow or, with --redirect, a browser and a loopback
// redirect, and store the tokens that sending then uses and refreshes (pkg/oauth2).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// oauth2Manager is this run's source of OAuth2 tokens: the system keyring (for
// oauth2_token_store keyring) and the command runner of oauth2_client_secret_eval. Sending
// uses it too (delivery.Options).
func (a *app) oauth2Manager() *oauth2.Manager {
	return &oauth2.Manager{
		Keyring: secret.SystemKeyring(a.lookupEnv),
		Options: oauth2.Options{Eval: a.runner.Eval},
	}
}

// oauth2Login is --oauth2-login [--redirect].
func (a *app) oauth2Login(overrides *config.Overrides) sysexits.Code {
	acct, err := a.resolve(config.ModeOAuth2Login, overrides, config.OptString{})
	if err != nil {
		return a.fail(err)
	}
	if a.inv.Pretend || a.inv.Debug {
		if err := config.WritePretend(a.stdout, acct, config.PretendOptions{Mode: config.ModeOAuth2Login}); err != nil {
			return a.fail(err)
		}
	}
	if a.inv.Pretend {
		return sysexits.OK
	}
	src, err := a.oauth2Manager().Source(acct)
	if err != nil {
		return a.failOAuth2(err)
	}
	name := acct.Name
	if src == nil {
		a.errorf("account %s does not use OAuth2: set oauth2_provider (see oauth2_provider in the msmtprc reference)", name)
		return sysexits.Config
	}
	who := fmt.Sprintf("account %s", name)
	if acct.User != "" {
		who = fmt.Sprintf("%s (account %s)", acct.User, name)
	}
	if a.inv.OAuth2Redirect {
		// RFC 8252 §7.3: the loopback interface, a port the system chooses.
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		if lerr != nil {
			a.errorf("cannot listen on 127.0.0.1 for the browser's redirect: %v", lerr)
			return sysexits.OSErr
		}
		err = src.LoginRedirect(a.ctx, ln, func(authURL string) error {
			_, err := fmt.Fprintf(a.stdout, "To let msmtp send mail as %s, open this address in a web browser on this computer:\n\n  %s\n\n"+
				"Waiting for the browser to return to %s ...\n", who, authURL, src.RedirectURI(ln.Addr().(*net.TCPAddr).Port))
			return err
		})
	} else {
		err = src.LoginDevice(a.ctx, func(dc oauth2.DeviceCode) error {
			_, err := fmt.Fprintf(a.stdout, "To let msmtp send mail as %s, open\n\n  %s\n\nand enter the code %s\n", who, dc.VerificationURI, dc.UserCode)
			if err == nil && dc.VerificationURIComplete != "" {
				_, err = fmt.Fprintf(a.stdout, "(or open %s)\n", dc.VerificationURIComplete)
			}
			if err == nil {
				_, err = fmt.Fprintf(a.stdout, "\nWaiting for the authorization (the code expires at %s) ...\n", dc.Expires.Local().Format(time.TimeOnly))
			}
			return err
		})
	}
	if err != nil {
		return a.failOAuth2(err)
	}
	fmt.Fprintf(a.stdout, "Authorized. The tokens of account %s are stored in %s.\n", name, src.Store())
	return sysexits.OK
}

// failOAuth2 prints err and returns its exit code.
func (a *app) failOAuth2(err error) sysexits.Code {
	a.errorf("%s", delivery.Sanitize(err.Error()))
	return oauth2ExitCode(err)
}

// oauth2ExitCode maps pkg/oauth2's errors to exit codes, and everything else through
// delivery.ExitCode. (Once delivery.ExitCode knows these types, this is that function.)
func oauth2ExitCode(err error) sysexits.Code {
	var (
		reauth   *oauth2.ReauthRequiredError
		login    *oauth2.LoginError
		temp     *oauth2.TemporaryError
		endpoint *oauth2.EndpointError
		conf     *oauth2.ConfigError
		store    *oauth2.StoreError
	)
	switch {
	case errors.As(err, &reauth), errors.As(err, &login):
		return sysexits.NoPerm
	case errors.As(err, &temp), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return sysexits.TempFail
	case errors.As(err, &endpoint), errors.As(err, &conf):
		return sysexits.Config
	case errors.As(err, &store):
		return sysexits.IOErr
	}
	return delivery.ExitCode(err)
}
