// Package secret gets the secrets msmtp and msmtpd need and keeps them from being printed.
//
// It implements spec-cli-config.md §4 (passwords) and §2.7 (eval):
//
//   - Secret, a string that prints as `*` with every fmt verb and in log/slog, revealed only
//     by an explicit call.
//   - Runner, which runs `passwordeval` and msmtprc's `eval` commands: `/bin/sh -c CMD` on
//     Unix, `cmd.exe /S /C "CMD"` on Windows, first line of standard output.
//   - netrc files (ftp(1) format): ParseNetrc, FindNetrc, NetrcFiles.
//   - Keyring backends: the freedesktop Secret Service over D-Bus on Linux and the BSDs, the
//     `security` tool on macOS, Credential Manager on Windows (see SystemKeyring).
//   - Prompt, which asks on the controlling terminal, never on standard input (which carries
//     the mail).
//   - Sources.Password, which consults keyring, netrc files and terminal in msmtp's order
//     (spec-cli-config.md §4.1 step 3), each only if the ones before found nothing.
//
// Every source is injected (file opener, terminal opener, command runner, D-Bus address), so
// the package has no global state and its tests touch nothing outside their temporary
// directories.
//
// # The key of a stored password
//
// All sources look a password up by (host, user): host is the account's `host` (or its
// `socket` path when there is no host), never `tls_host_override`; user is `user`. The
// service is always `smtp`:
//
//   - Secret Service: attributes host=HOST service=smtp user=USER, as stored by
//     `secret-tool store --label=msmtp host HOST service smtp user USER`; if none matches,
//     the GNOME network-password attributes user=USER protocol=smtp server=HOST.
//   - macOS: the internet password with server HOST, account USER and protocol smtp, as
//     stored by `security add-internet-password -s HOST -a USER -r smtp -w`.
//   - Windows: the generic credential whose target name is `msmtp:smtp/USER@HOST` (see
//     CredentialTarget), as stored by
//     `cmdkey /generic:msmtp:smtp/USER@HOST /user:USER /pass` or CredentialManager.Store.
//     Upstream msmtp has no Windows keyring; this name is ours.
//
// # Divergences from upstream msmtp
//
//   - Commands run by Runner get the null device as standard input. Upstream lets them
//     inherit msmtp's standard input, which in sendmail mode is the mail being sent, so a
//     command that reads its input would silently eat the mail (the man page tells users to
//     append `< /dev/null`).
//   - The first output line of a command may be at most MaxEvalLine bytes; upstream reads
//     any length.
//   - A netrc entry without a password gives no password; upstream crashes.
//   - The Secret Service backend only returns unlocked items and never asks the keyring
//     daemon to unlock a locked collection (libsecret's lookup may pop up an unlock
//     prompt); msmtp then goes on to netrc and the terminal prompt.
//   - The session bus is taken only from DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus;
//     there is no autolaunch of a bus daemon (which would leave a dbus-daemon behind after
//     every cron run).
package secret
