package queue

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// MailqOptions configure WriteMailq.
type MailqOptions struct {
	// Location is the time zone of the arrival times; nil means time.Local.
	Location *time.Location
}

// mailqTime is the arrival-time layout of sendmail's and Postfix's mailq.
const mailqTime = "Mon Jan _2 15:04:05"

// WriteMailq writes entries (from List) in the layout of sendmail's and Postfix's mailq,
// so that both programs print the queue the same way and scripts written for those
// keep working:
//
//	-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
//	6754A3C1F0E2B9     1234 Mon Jan  2 15:04:05  joe@example.org
//	                (3 attempts, next Mon Jan  2 15:12:05: connection refused)
//	                                         ann@example.com
//
//	-- 2 Kbytes in 1 Request.
//
// Each message shows its ID, size, arrival time and sender (MAILER-DAEMON for <>), then
// its attempts and last error in parentheses, then its pending recipients. An empty
// queue prints "Mail queue is empty".
func WriteMailq(w io.Writer, entries []Entry, opts MailqOptions) error {
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	bw := bufio.NewWriter(w)
	if len(entries) == 0 {
		bw.WriteString("Mail queue is empty\n")
		return bw.Flush()
	}
	idWidth := len("-Queue ID-") + 1
	for _, e := range entries {
		idWidth = max(idWidth, len(e.Envelope.ID))
	}
	indent := strings.Repeat(" ", idWidth+1+8+1+20+1)
	fmt.Fprintf(bw, "%-*s %8s %-20s %s\n", idWidth, "-Queue ID-", "--Size--", "----Arrival Time----", "-Sender/Recipient-------")
	var total int64
	for _, e := range entries {
		env := &e.Envelope
		total += e.Size
		sender := env.Sender
		if sender == "" {
			sender = "MAILER-DAEMON"
		}
		fmt.Fprintf(bw, "%-*s %8d %-20s %s\n", idWidth, env.ID, e.Size,
			env.Created.In(loc).Format(mailqTime), oneLine(sender))
		if env.Attempts > 0 || env.LastError != "" {
			var note []string
			switch env.Attempts {
			case 0:
			case 1:
				note = append(note, "1 attempt")
			default:
				note = append(note, fmt.Sprintf("%d attempts", env.Attempts))
			}
			if !env.NextAttempt.IsZero() {
				note = append(note, "next "+env.NextAttempt.In(loc).Format(mailqTime))
			}
			s := strings.Join(note, ", ")
			if env.LastError != "" {
				if s != "" {
					s += ": "
				}
				s += oneLine(env.LastError)
			}
			fmt.Fprintf(bw, "%s(%s)\n", indent, s)
		}
		for _, r := range env.Recipients {
			if r.State != StatePending {
				continue
			}
			if r.Error != "" && r.Error != env.LastError {
				fmt.Fprintf(bw, "%s(%s)\n", indent, oneLine(r.Error))
			}
			fmt.Fprintf(bw, "%s%s\n", indent, oneLine(r.Address))
		}
		bw.WriteString("\n")
	}
	plural := "s"
	if len(entries) == 1 {
		plural = ""
	}
	fmt.Fprintf(bw, "-- %d Kbytes in %d Request%s.\n", (total+1023)/1024, len(entries), plural)
	return bw.Flush()
}
