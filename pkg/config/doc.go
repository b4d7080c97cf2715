// Package config implements msmtp's configuration: the msmtprc file format, accounts and
// their selection, command-line settings, the --pretend dump and the aliases file, as
// specified in spec-cli-config.md §2 (files), §3 (account selection), §5 (aliases) and
// spec-mail-smtp.md §5.7 (the dump), following msmtp 1.8.33 where it differs from 1.8.23.
//
// One directive table (table.go) is the single source of truth about msmtprc commands: it
// drives the parser, the value checks, the command-line overrides (Overrides.Set), the
// --pretend output (WritePretend) and the generated reference docs/msmtprc.md.
//
// The steps, in the order msmtp runs them:
//
//  1. Lex splits a file into command lines (500-byte limit, quotes, no trailing comments).
//  2. Parse interprets them: defaults, "account NAME : PARENT, ..." inheritance of the
//     explicitly set values (tracked per setting as an Origin), eval through an injected
//     Runner, and the value checks of every command.
//  3. Resolve loads the system and user files (or none with --host), merges them, chooses
//     the account (-a, --from matching with wildcards and +detail, default, EMAIL and
//     SMTPSERVER), applies Overrides, runs passwordeval through an injected Runner, fills in
//     computed defaults (port, tls_trust_file system, proxy port), expands %U %H %C %M %F,
//     applies auto_from and validates the account.
//  4. WritePretend prints the account as --pretend does.
//  5. ExpandAliases replaces local recipients using the aliases file.
//
// The package runs no commands and opens no files by itself: everything outside the process
// comes through Env (OSEnv gives the real one, without command runners). Errors are
// *Error values whose text is what msmtp prints after "msmtp: ", with a Kind that the
// caller maps to an exit code (the package does not know exit codes).
package config
