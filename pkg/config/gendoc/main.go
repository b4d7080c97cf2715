// Command gendoc writes the msmtprc reference (docs/msmtprc.md) from the directive table
// in pkg/config. It runs through "go generate ./pkg/config"; a test in pkg/config fails
// when the committed file is out of date.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/msmtp-go/msmtp/pkg/config"
)

func main() {
	out := flag.String("o", "", "write to this file instead of standard output")
	flag.Parse()
	var b bytes.Buffer
	if err := config.WriteMarkdown(&b); err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
	var err error
	if *out == "" {
		_, err = os.Stdout.Write(b.Bytes())
	} else {
		err = os.WriteFile(*out, b.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}
