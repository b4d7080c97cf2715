package message_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/message"
)

// Example shows the sendmail-mode path of `msmtp -t -f a@example.com cmd@example.org`: read
// the header, collect the recipients, rewrite the header and stream header and body on.
func Example() {
	stdin := strings.NewReader("To: Bob <bob@example.org>, cmd@example.org\nBcc: carol@example.net\nSubject: hi\n\nHello.\n")
	opts := message.ReadOptions{DotEndsInput: true} // no -i given
	in := bufio.NewReader(stdin)

	h, err := message.ReadHeader(in, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	rcpts := message.MergeRecipients(message.ParseAddressList("cmd@example.org"), h.Recipients())
	fmt.Println("recipients:", rcpts)

	envFrom := "a@example.com"
	err = h.Rewrite(message.RewriteOptions{
		EnvelopeFrom: envFrom,
		Recipients:   rcpts,
		MessageIDDomain: message.MessageIDDomain(message.DomainSources{
			Domain: "localhost", EnvelopeFrom: envFrom, Host: "mail.example.com",
		}),
		Now:    func() time.Time { return time.Date(2026, 11, 25, 18, 24, 19, 0, time.UTC) },
		Random: bytes.NewReader(make([]byte, 16)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Normally an SMTP data writer, which converts line ends and dot-stuffs.
	if _, err := h.WriteTo(os.Stdout); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := io.Copy(os.Stdout, message.NewBody(in, opts)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// recipients: [cmd@example.org bob@example.org carol@example.net]
	// From: a@example.com
	// Date: Wed, 25 Nov 2026 18:24:19 +0000
	// Message-ID: <00000000000000000000000000000000@example.com>
	// To: Bob <bob@example.org>, cmd@example.org
	// Subject: hi
	//
	// Hello.
}
