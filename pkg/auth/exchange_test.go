package auth_test

import (
	"encoding/base64"
	"errors"

	"github.com/emersion/go-sasl"
	"github.com/msmtp-go/msmtp/pkg/auth"
)

// outcome is what an AUTH exchange produced: the client's lines as they would appear on the
// wire (the AUTH command, then one line per response, `*` for a cancellation), and which side
// failed.
type outcome struct {
	lines     []string
	clientErr error // the client gave up (Next or Start failed, or the server was not verified)
	serverErr error // the server said no (535)
}

// exchange runs c against s the way an SMTP session carries SASL (RFC 4954): initial response
// on the AUTH line, each challenge base64 in a 334 reply, each response base64 on a line of
// its own. Everything passes through the same encode and decode helpers the transport uses.
func exchange(c sasl.Client, s sasl.Server) outcome {
	var o outcome
	mech, ir, err := c.Start()
	if err != nil {
		o.clientErr = err
		return o
	}
	line := "AUTH " + mech
	if text, ok := auth.EncodeInitialResponse(ir); ok {
		line += " " + text
	}
	o.lines = append(o.lines, line)
	resp := ir
	if text, ok := auth.EncodeInitialResponse(ir); ok && text == "=" {
		resp = []byte{}
	}
	for range 10 {
		challenge, done, err := s.Next(resp)
		if err != nil {
			o.serverErr = err
			return o
		}
		if done {
			if m, ok := c.(auth.MutualClient); ok && !m.ServerVerified() {
				o.clientErr = auth.ErrServerNotVerified
			}
			return o
		}
		text := base64.StdEncoding.EncodeToString(challenge)
		dec, err := auth.DecodeChallenge(auth.Mechanism(mech), text)
		if err == nil {
			resp, err = c.Next(dec)
		}
		if err != nil {
			o.lines = append(o.lines, "*")
			o.clientErr = err
			return o
		}
		if resp == nil {
			o.clientErr = errors.New("client returned a nil response: nothing would be sent")
			return o
		}
		line := auth.EncodeResponse(resp)
		o.lines = append(o.lines, line)
		// What the server decodes from that line.
		resp, _ = base64.StdEncoding.DecodeString(line)
		if resp == nil {
			resp = []byte{}
		}
	}
	o.clientErr = errors.New("exchange did not end after 10 rounds")
	return o
}

// play runs a client against challenges given as wire text (not necessarily valid base64),
// returning the lines the client sends and the client's error.
func play(c sasl.Client, challenges ...string) ([]string, error) {
	mech, ir, err := c.Start()
	if err != nil {
		return nil, err
	}
	line := "AUTH " + mech
	if text, ok := auth.EncodeInitialResponse(ir); ok {
		line += " " + text
	}
	lines := []string{line}
	for _, ch := range challenges {
		dec, err := auth.DecodeChallenge(auth.Mechanism(mech), ch)
		if err != nil {
			return lines, err
		}
		resp, err := c.Next(dec)
		if err != nil {
			return lines, err
		}
		if resp == nil {
			return lines, errors.New("nil response")
		}
		lines = append(lines, auth.EncodeResponse(resp))
	}
	return lines, nil
}
