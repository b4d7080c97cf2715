package delivery

import (
	"context"
	"errors"
	"net"

	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// ExitCode is the one mapping from an error to msmtp's exit status (spec-mail-smtp.md §6,
// spec-cli-config.md §0.2). Upstream's quirks are kept on purpose, because scripts and
// msmtpd's reply mapping depend on them: a 4xx reply to MAIL, RCPT or DATA gives
// EX_UNAVAILABLE (not EX_TEMPFAIL), anything else there EX_DATAERR; any refusal after the
// final dot EX_UNAVAILABLE; a failed authentication EX_NOPERM even for 454; only network
// connection failures give EX_TEMPFAIL.
func ExitCode(err error) sysexits.Code {
	if err == nil {
		return sysexits.OK
	}
	if errors.Is(err, context.Canceled) {
		// A cancelled delivery (msmtpd shutting down, an interrupt) may well succeed
		// later. The session error that carries the cancellation would otherwise count as
		// an I/O error (74), which msmtpd turns into a permanent 554.
		return sysexits.TempFail
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		switch ce.Kind {
		case config.KindIO:
			return sysexits.IOErr
		case config.KindUsage:
			return sysexits.Usage
		}
		return sysexits.Config
	}
	var fileErr *TLSFileError
	if errors.As(err, &fileErr) {
		return sysexits.NoInput
	}
	var prioErr *PrioritiesError
	if errors.As(err, &prioErr) {
		return sysexits.Config
	}
	var notBuilt *auth.NotCompiledInError
	if errors.As(err, &notBuilt) {
		// Upstream says EX_UNAVAILABLE; the project decided that a mechanism this build
		// lacks is a configuration problem the user must fix (issue "msmtp III").
		return sysexits.Config
	}
	var msgTooLarge *message.HeaderTooLargeError
	var msgInput *message.InputError
	var msgOption *message.OptionError
	switch {
	case errors.As(err, &msgTooLarge), errors.As(err, &msgOption):
		return sysexits.DataErr
	case errors.As(err, &msgInput):
		return sysexits.IOErr
	}
	var (
		reauth   *oauth2.ReauthRequiredError
		login    *oauth2.LoginError
		temp     *oauth2.TemporaryError
		endpoint *oauth2.EndpointError
		oconf    *oauth2.ConfigError
		store    *oauth2.StoreError
	)
	switch {
	case errors.As(err, &reauth), errors.As(err, &login):
		return sysexits.NoPerm
	case errors.As(err, &temp):
		return sysexits.TempFail
	case errors.As(err, &endpoint), errors.As(err, &oconf):
		return sysexits.Config
	case errors.As(err, &store):
		return sysexits.IOErr
	}
	var sc *smtpclient.Error
	if errors.As(err, &sc) {
		return smtpExitCode(sc)
	}
	var missing *auth.MissingError
	var notOffered *auth.NotOfferedError
	var notFound *secret.NotFoundError
	switch {
	case errors.As(err, &missing), errors.As(err, &notOffered), errors.As(err, &notFound),
		errors.Is(err, auth.ErrNoUsableMechanism), errors.Is(err, auth.ErrNoSecureMechanism):
		return sysexits.Unavailable
	case errors.Is(err, context.DeadlineExceeded):
		return sysexits.TempFail
	}
	return sysexits.Software
}

// smtpExitCode applies the table of pkg/smtpclient's documentation to a session error.
func smtpExitCode(e *smtpclient.Error) sysexits.Code {
	is := func(target error) bool { return errors.Is(e, target) }
	if is(smtpclient.ErrRejected) && e.Op != smtpclient.OpETRN {
		switch e.Op {
		case smtpclient.OpMail, smtpclient.OpRcpt, smtpclient.OpData:
			if e.Reply != nil && e.Reply.Temporary() {
				return sysexits.Unavailable
			}
			return sysexits.DataErr
		}
		return sysexits.Unavailable // end of data, LMTP refusals
	}
	switch {
	case is(smtpclient.ErrHostNotFound):
		var dnsErr *net.DNSError
		if errors.As(e, &dnsErr) && dnsErr.IsTemporary {
			return sysexits.TempFail // 1.8.33: EAI_AGAIN
		}
		return sysexits.NoHost
	case is(smtpclient.ErrConnect):
		return sysexits.TempFail
	case is(smtpclient.ErrIO), is(smtpclient.ErrInput):
		return sysexits.IOErr
	case is(smtpclient.ErrAuthFailed):
		return sysexits.NoPerm
	case is(smtpclient.ErrCertificate):
		return sysexits.Unavailable
	case is(smtpclient.ErrProtocol):
		return sysexits.Protocol
	case is(smtpclient.ErrUnavailable):
		return sysexits.Unavailable
	case is(smtpclient.ErrOS):
		return sysexits.OSErr
	case is(smtpclient.ErrTooBig):
		return sysexits.DataErr
	case is(smtpclient.ErrInvalidArgument):
		return sysexits.Usage
	case is(smtpclient.ErrRejected): // ETRN 500/501
		return sysexits.DataErr
	}
	// The mechanism's own errors during AUTH (a missing password, an invalid challenge).
	if e.Op == smtpclient.OpAuth {
		var missing *auth.MissingError
		var challenge *auth.ChallengeError
		switch {
		case errors.As(e, &missing), errors.Is(e, auth.ErrNoUsableMechanism), errors.Is(e, auth.ErrNoSecureMechanism):
			return sysexits.Unavailable
		case errors.As(e, &challenge):
			return sysexits.Protocol
		}
		var notOffered *auth.NotOfferedError
		if errors.As(e, &notOffered) {
			return sysexits.Unavailable
		}
	}
	return sysexits.Software
}
