// Package oauth2 lets msmtp and msmtpd manage the OAuth2 tokens of XOAUTH2 and OAUTHBEARER
// themselves, for Gmail, Microsoft 365 and any OAuth2 provider (docs/oauth2.md), instead of
// taking the access token as a password from passwordeval.
//
// It implements:
//
//   - the provider presets (Providers: google, microsoft) and the account's overrides
//     (ConfigFor, from the oauth2_* commands of pkg/config);
//   - two logins that end with a stored refresh token: the device authorization grant
//     (RFC 8628, Source.LoginDevice) and the authorization code grant with PKCE (RFC 7636)
//     and a loopback redirect (RFC 8252, Source.LoginRedirect);
//   - token stores (Store): a JSON file of mode 0600 replaced atomically (FileStore), or a
//     writable system keyring (KeyringStore), each with a cross-process lock (flock on Unix,
//     LockFileEx on Windows);
//   - Source, which gives a valid access token on every send: the stored one while it is
//     valid, else a refreshed one (RFC 6749 §6), stored with the provider's rotated refresh
//     token before it is used. The refresh happens under the lock, after the store is read
//     again, so that of many concurrent processes exactly one refreshes and a rotated
//     refresh token is never lost. Source.Do retries once with a new token after the
//     server refused one (SMTP 535);
//   - Manager, which makes and keeps the Sources of accounts (msmtp, msmtpd).
//
// golang.org/x/oauth2 builds the authorization URL with PKCE and makes the device
// authorization request and the code exchange. The refresh request and the device-code
// polling are this package's own (endpoint.go): x/oauth2's refresh cannot send the scopes
// that Microsoft's v2.0 endpoint wants, and its device polling waits on the real clock.
//
// # Errors
//
// The error types say what msmtp should do; cmd/msmtp and pkg/delivery map them to exit
// codes: *ReauthRequiredError (nothing stored, or invalid_grant: the user must run the
// command it names; EX_NOPERM, 77), *LoginError (denied or expired login; 77),
// *TemporaryError (network, timeouts, 5xx and 429; EX_TEMPFAIL, 75), *EndpointError (any
// other refusal, such as invalid_client; EX_CONFIG, 78), *ConfigError (78), *StoreError
// (EX_IOERR, 74).
//
// # Injected world
//
// The HTTP client, the clock, the sleep between device polls, the random source, the
// command runner of oauth2_client_secret_eval (Options), the file system (FS) and the
// keyring are injected; the package has no global state.
package oauth2
