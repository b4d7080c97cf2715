package main

// Building the pipe command on Unix without letting an address reach the shell's parser.
//
// Upstream pastes the sender and the recipients into the command text and runs it with
// `sh -c`; that is safe only because it refuses every address with a character outside a
// small whitelist (spec-mail-smtp.md §8.3 item 6), which also refuses valid addresses. We
// accept any RFC 5321 address instead, and keep addresses out of the command text:
//
//   - A command that is only words, quotes and backslash escapes is split into words here
//     and executed directly, without a shell; the sender replaces the first %F inside its
//     word, and each recipient is one more argument.
//   - Any other command runs as `/bin/sh -c SCRIPT msmtpd SENDER RCPT...`: the addresses
//     are positional parameters. SCRIPT is the command with its first %F replaced by a
//     reference to the sender's parameter, written to suit the quoting around the %F
//     ("${1}" unquoted, ${1} between double quotes, '"${1}"' between single quotes), and
//     with a reference "${N}" per recipient appended, where upstream appends the addresses.
//     The shell expands a parameter but never parses its value, so an address such as
//     `a;rm -rf ~@x` or `$(reboot)@x` arrives as one unchanged argument.
//
// The lexer below follows POSIX sh quoting (XCU §2.2) far enough for both jobs. Its only
// job in the shell case is to find the quoting context of the first %F; if a very unusual
// command (a %F inside backquotes inside double quotes, say) fools it, the sender may be
// split into words or globbed, but it is still never parsed as shell code.

import (
	"errors"
	"fmt"
	"strings"
)

// commandTemplate is a parsed --command.
type commandTemplate struct {
	text string // as configured

	// shell is true when the command needs /bin/sh; then script is its text with the
	// first %F replaced by a parameter reference.
	shell  bool
	script string

	// words is the argument vector of a command run directly. The first %F is at byte
	// fOff of words[fWord]; fWord is -1 when there is none.
	words       []string
	fWord, fOff int

	// hasF: the command contains %F, so the sender is passed.
	hasF bool
}

// shellPath is the shell that runs commands with shell syntax, as popen(3) uses it.
const shellPath = "/bin/sh"

// shellName is $0 of the script: the shell prefixes its error messages with it.
const shellName = "msmtpd"

// argv returns the argument vector for one mail.
func (t *commandTemplate) argv(from string, rcpts []string) []string {
	if t.shell {
		var b strings.Builder
		b.WriteString(t.script)
		first := 1
		if t.hasF {
			first = 2
		}
		for i := range rcpts {
			fmt.Fprintf(&b, ` "${%d}"`, first+i)
		}
		argv := []string{shellPath, "-c", b.String(), shellName}
		if t.hasF {
			argv = append(argv, from)
		}
		return append(argv, rcpts...)
	}
	argv := make([]string, 0, len(t.words)+len(rcpts))
	argv = append(argv, t.words...)
	if t.fWord >= 0 {
		w := argv[t.fWord]
		argv[t.fWord] = w[:t.fOff] + from + w[t.fOff+2:]
	}
	return append(argv, rcpts...)
}

// quoteContext is the quoting around the first %F.
type quoteContext uint8

const (
	ctxUnquoted        quoteContext = iota
	ctxEscaped                      // \%F outside quotes
	ctxSingle                       // '...%F...'
	ctxDouble                       // "...%F..."
	ctxDoubleBackslash              // "...\%F...": the backslash stays literal
)

// errUnterminated: a quote or substitution is not closed.
var errUnterminated = errors.New("unterminated quote")

// shellSpecialBuiltins are words that are not programs: a command starting with one needs
// the shell even when it has no other shell syntax (POSIX special built-ins, reserved
// words, and the regular built-ins that have no program of their own).
func shellOnlyWord(w string) bool {
	switch w {
	case "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if",
		"in", "then", "until", "while", "function", "select",
		"break", ":", "continue", ".", "eval", "exec", "exit", "export", "readonly",
		"return", "set", "shift", "times", "trap", "unset",
		"alias", "bg", "cd", "command", "fc", "fg", "getopts", "hash", "jobs", "read",
		"type", "ulimit", "umask", "unalias", "wait", "local", "source":
		return true
	}
	return false
}

// parseShellCommand parses a command for Unix.
func parseShellCommand(text string) (*commandTemplate, error) {
	t := &commandTemplate{text: text, fWord: -1}
	fPos := strings.Index(text, "%F")
	t.hasF = fPos >= 0
	lx := shellLexer{src: text, fPos: fPos}
	if err := lx.run(); err != nil {
		return nil, err
	}
	if len(lx.words) == 0 {
		return nil, errors.New("empty command")
	}
	if !lx.special && shellOnlyWord(lx.words[0]) {
		lx.special = true
	}
	if !lx.special {
		t.words, t.fWord, t.fOff = lx.words, lx.fWord, lx.fOff
		return t, nil
	}
	t.shell = true
	t.script = text
	if t.hasF {
		t.script = substituteSender(text, fPos, lx.fCtx)
	}
	return t, nil
}

// substituteSender replaces the %F at pos by a reference to the sender's positional
// parameter that suits its quoting.
func substituteSender(text string, pos int, ctx quoteContext) string {
	before, after := text[:pos], text[pos+2:]
	switch ctx {
	case ctxEscaped:
		// \%F: drop the backslash, which only quoted the %.
		return before[:len(before)-1] + `"${1}"` + after
	case ctxSingle:
		return before + `'"${1}"'` + after
	case ctxDouble:
		return before + `${1}` + after
	case ctxDoubleBackslash:
		// "\%F": the backslash is literal; "\${1}" would quote the $ instead.
		return before + `\${1}` + after
	}
	return before + `"${1}"` + after
}

// shellLexer splits a command into words as sh would, noting whether it uses any shell
// syntax beyond words, quotes and backslashes.
type shellLexer struct {
	src  string
	fPos int // byte offset of the first %F, -1 if none

	words   []string
	cur     []byte
	inWord  bool
	special bool // shell syntax seen: the command needs /bin/sh

	fWord, fOff int          // where the first %F landed in words
	fCtx        quoteContext // its quoting

	// stack of open constructs: '\'', '"', '`', '(' for $( and (, '{' for ${.
	stack []byte
}

func (lx *shellLexer) top() byte {
	if len(lx.stack) == 0 {
		return 0
	}
	return lx.stack[len(lx.stack)-1]
}

func (lx *shellLexer) push(c byte) { lx.stack = append(lx.stack, c) }
func (lx *shellLexer) pop()        { lx.stack = lx.stack[:len(lx.stack)-1] }

// quoting returns the effective quoting at the current position: parameter expansions
// inherit it from around them, command substitutions start afresh.
func (lx *shellLexer) quoting() byte {
	for i := len(lx.stack) - 1; i >= 0; i-- {
		switch lx.stack[i] {
		case '{':
			continue
		case '\'', '"':
			return lx.stack[i]
		}
		return 0
	}
	return 0
}

// emit adds the byte at src[i] to the current word.
func (lx *shellLexer) emit(i int) {
	if i == lx.fPos && lx.fWord < 0 && !lx.special {
		lx.fWord, lx.fOff = len(lx.words), len(lx.cur)
	}
	lx.cur = append(lx.cur, lx.src[i])
	lx.inWord = true
}

func (lx *shellLexer) endWord() {
	if lx.inWord {
		lx.words = append(lx.words, string(lx.cur))
	}
	lx.cur, lx.inWord = nil, false
}

// noteF records the quoting of the first %F when the scan reaches it.
func (lx *shellLexer) noteF(i int, ctx quoteContext) {
	if i == lx.fPos {
		lx.fCtx = ctx
	}
}

func (lx *shellLexer) run() error {
	s := lx.src
	lx.fWord = -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch lx.top() {
		case '\'':
			lx.noteF(i, ctxSingle)
			if c == '\'' {
				lx.pop()
				continue
			}
			lx.emit(i)
			continue
		case '"':
			switch c {
			case '"':
				lx.pop()
				continue
			case '\\':
				if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
					if s[i] != '\n' {
						lx.emit(i)
					}
					continue
				}
				if i+1 == lx.fPos {
					lx.fCtx = ctxDoubleBackslash
					lx.emit(i)
					i++
					lx.emit(i)
					continue
				}
				lx.noteF(i, ctxDouble)
				lx.emit(i)
				continue
			case '$':
				lx.special = true
				i += lx.dollar(i)
				continue
			case '`':
				lx.special = true
				lx.push('`')
				continue
			}
			lx.noteF(i, ctxDouble)
			lx.emit(i)
			continue
		}
		// Unquoted, or inside $( ), ` ` or ${ }.
		if q := lx.quoting(); q == '"' {
			lx.noteF(i, ctxDouble)
		} else {
			lx.noteF(i, ctxUnquoted)
		}
		switch c {
		case ' ', '\t':
			lx.endWord()
		case '\\':
			if i+1 >= len(s) {
				lx.special = true // let the shell decide what a final backslash means
				continue
			}
			i++
			if s[i] == '\n' {
				continue // line continuation
			}
			if i == lx.fPos {
				lx.fCtx = ctxEscaped
				if lx.fWord < 0 && !lx.special {
					lx.fWord, lx.fOff = len(lx.words), len(lx.cur)
				}
				lx.cur = append(lx.cur, s[i])
				lx.inWord = true
				continue
			}
			lx.emit(i)
		case '\'', '"':
			lx.push(c)
			lx.inWord = true // '' is an empty word
		case '$':
			lx.special = true
			i += lx.dollar(i)
		case '`':
			lx.special = true
			if lx.top() == '`' {
				lx.pop()
			} else {
				lx.push('`')
			}
		case '(':
			lx.special = true
			if lx.top() == '(' {
				lx.push('(')
			}
		case ')':
			lx.special = true
			if lx.top() == '(' {
				lx.pop()
			}
		case '}':
			lx.special = true
			if lx.top() == '{' {
				lx.pop()
			}
		case '|', '&', ';', '<', '>', '\n', '*', '?', '[', ']', '{', '!':
			lx.special = true
		case '#', '~':
			if !lx.inWord {
				lx.special = true // a comment, or tilde expansion
			}
			lx.emit(i)
		case '=':
			// NAME=value before the command is an assignment.
			if len(lx.words) == 0 && isShellName(string(lx.cur)) {
				lx.special = true
			}
			lx.emit(i)
		default:
			lx.emit(i)
		}
	}
	if len(lx.stack) > 0 {
		return errUnterminated
	}
	lx.endWord()
	return nil
}

// dollar handles a '$' at i: ${ and $( open constructs; anything else is an expansion that
// needs the shell (the caller has noted that already). It returns how many bytes after the
// '$' it consumed.
func (lx *shellLexer) dollar(i int) int {
	lx.inWord = true
	if i+1 < len(lx.src) {
		switch lx.src[i+1] {
		case '{':
			lx.push('{')
			return 1
		case '(':
			lx.push('(')
			return 1
		}
	}
	return 0
}

func isShellName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shellQuote quotes a word for sh: as it is when it has only characters that are never
// special, otherwise between single quotes, where each single quote of the word closes the
// quoted part, is escaped with a backslash, and opens a new one.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// displayCommand shows an argument vector for the log, each word quoted for sh.
func displayCommand(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
