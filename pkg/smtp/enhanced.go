package smtp

import (
	"fmt"
	"strconv"
	"strings"
)

// EnhancedCode is an RFC 3463 enhanced status code, class.subject.detail, such as 5.1.1.
// The zero value means "none".
type EnhancedCode struct {
	Class, Subject, Detail int
}

// Enhanced codes the server engine and the delivery library use (RFC 3463, RFC 5248).
var (
	EnhOK                 = EnhancedCode{2, 0, 0}
	EnhSenderOK           = EnhancedCode{2, 1, 0}
	EnhRecipientOK        = EnhancedCode{2, 1, 5}
	EnhAuthOK             = EnhancedCode{2, 7, 0}
	EnhTempLocalError     = EnhancedCode{4, 3, 0}
	EnhTempTooManyRcpts   = EnhancedCode{4, 5, 3}
	EnhTempNetwork        = EnhancedCode{4, 4, 2}
	EnhTempAuth           = EnhancedCode{4, 7, 0}
	EnhPermGeneric        = EnhancedCode{5, 0, 0}
	EnhBadDestMailbox     = EnhancedCode{5, 1, 1}
	EnhBadDestSyntax      = EnhancedCode{5, 1, 3}
	EnhBadSenderSyntax    = EnhancedCode{5, 1, 7}
	EnhMessageTooBig      = EnhancedCode{5, 3, 4}
	EnhBadCommand         = EnhancedCode{5, 5, 1}
	EnhBadSyntax          = EnhancedCode{5, 5, 2}
	EnhBadParams          = EnhancedCode{5, 5, 4}
	EnhTooManyRecipients  = EnhancedCode{5, 5, 3}
	EnhAuthRequired       = EnhancedCode{5, 7, 0}
	EnhAuthCredentials    = EnhancedCode{5, 7, 8}
	EnhEncryptionRequired = EnhancedCode{5, 7, 11}
	EnhMailSystemFull     = EnhancedCode{4, 3, 1}
	EnhMessageTooBigTemp  = EnhancedCode{4, 3, 4}
	EnhTempProtocol       = EnhancedCode{4, 5, 0}
	EnhPermDelivery       = EnhancedCode{5, 3, 0}
)

// IsZero reports whether e is the zero value ("no enhanced code").
func (e EnhancedCode) IsZero() bool { return e == EnhancedCode{} }

// String formats the code as "C.S.D".
func (e EnhancedCode) String() string { return fmt.Sprintf("%d.%d.%d", e.Class, e.Subject, e.Detail) }

// ParseEnhancedCode parses "C.S.D" where C is 2, 4 or 5, S has at most three digits and D at
// most three (RFC 3463 §2).
func ParseEnhancedCode(s string) (EnhancedCode, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return EnhancedCode{}, false
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 3 || (i == 0 && len(p) != 1) {
			return EnhancedCode{}, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || strings.ContainsAny(p, "+-") {
			return EnhancedCode{}, false
		}
		n[i] = v
	}
	if n[0] != 2 && n[0] != 4 && n[0] != 5 {
		return EnhancedCode{}, false
	}
	return EnhancedCode{n[0], n[1], n[2]}, true
}
