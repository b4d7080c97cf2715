package queue_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/queue"
)

// printer is a Transport that prints what it would send.
type printer struct{}

func (printer) Open(_ context.Context, acct queue.AccountRef) (queue.Session, error) {
	fmt.Println("open", acct.Account)
	return printer{}, nil
}

func (printer) Send(_ context.Context, msg *queue.Message) ([]queue.Outcome, error) {
	n, err := io.Copy(io.Discard, msg.Data)
	if err != nil {
		return nil, err
	}
	outs := make([]queue.Outcome, len(msg.Recipients))
	for i, r := range msg.Recipients {
		fmt.Printf("send %d bytes from <%s> to <%s>\n", n, msg.Envelope.Sender, r.Address)
		outs[i] = queue.Outcome{Status: queue.Delivered}
	}
	return outs, nil
}

func (printer) Reset(context.Context) error { fmt.Println("reset"); return nil }
func (printer) Close() error                { fmt.Println("close"); return nil }

// msmtpd stores each message before it answers 250, and its runner delivers the queue in
// the background; one session carries all messages of an account.
func Example() {
	dir, err := os.MkdirTemp("", "queue-example-")
	if err != nil {
		panic(err)
	}
	defer os.Remove(dir)
	defer os.Remove(filepath.Join(dir, "failed"))

	n := 0
	q, err := queue.Open(dir, queue.Options{
		// Sequential IDs keep the example's output in order on systems whose clock
		// gives two messages the same arrival time.
		NewID: func() queue.ID { n++; return queue.ID(fmt.Sprint("M", n)) },
	})
	if err != nil {
		panic(err)
	}
	for _, rcpt := range []string{"ann@example.com", "bob@example.com"} {
		env := queue.Envelope{
			Account:    "default",
			ConfigFile: "/etc/msmtprc",
			Sender:     "joe@example.org",
			Recipients: []queue.Recipient{{Address: rcpt}},
		}
		if _, err := q.Enqueue(context.Background(), env, strings.NewReader("Subject: hi\n\nHello.\n")); err != nil {
			fmt.Println("451", err) // never 250 when the message is not stored
			return
		}
	}
	rep, err := q.Run(context.Background(), queue.RunOptions{Transport: printer{}})
	if err != nil {
		panic(err)
	}
	for _, m := range rep.Messages {
		fmt.Println(m.Disposition)
	}
	// Output:
	// open default
	// send 20 bytes from <joe@example.org> to <ann@example.com>
	// reset
	// send 20 bytes from <joe@example.org> to <bob@example.com>
	// close
	// completed
	// completed
}
