package auth_test

import (
	"bytes"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/auth"
)

// FuzzClientChallenges feeds arbitrary challenge sequences to every client mechanism, both as
// raw bytes and as wire text through DecodeChallenge. No mechanism may panic, and a response
// without an error is never nil (nil would make the transport send nothing and hang).
func FuzzClientChallenges(f *testing.F) {
	f.Add(uint8(0), []byte(""))
	f.Add(uint8(2), []byte("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+"))
	f.Add(uint8(3), []byte("\nr=AAECAwQFBgcICQoLDA0ODxAR,s=c2FsdA==,i=4096\nv=AAAA"))
	f.Add(uint8(4), []byte("\nr=AAECAwQFBgcICQoLDA0ODxARxyz,s=c2FsdA==,i=1\ne=other-error"))
	f.Add(uint8(7), []byte("eyJzdGF0dXMiOiI0MDEifQ==\n\n"))
	mechs := []auth.Mechanism{auth.Plain, auth.Login, auth.CRAMMD5, auth.SCRAMSHA1, auth.SCRAMSHA256,
		auth.SCRAMSHA1Plus, auth.SCRAMSHA256Plus, auth.XOAuth2, auth.OAuthBearer, auth.External}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := mechs[int(which)%len(mechs)]
		for _, asText := range []bool{false, true} {
			c, err := auth.NewClient(auth.Params{
				Mechanism: m, User: "user", Password: "secret", Host: "h", Port: 25,
				ChannelBinding: &auth.ChannelBinding{Type: auth.TLSExporter, Data: bytes.Repeat([]byte{1}, 32)},
				Rand:           bytes.NewReader(make([]byte, 64)),
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Start(); err != nil {
				t.Fatal(err)
			}
			for _, ch := range bytes.Split(data, []byte("\n")) {
				if asText {
					ch, err = auth.DecodeChallenge(m, string(ch))
					if err != nil {
						break
					}
				}
				resp, err := c.Next(ch)
				if err != nil {
					break
				}
				if resp == nil {
					t.Fatalf("%s: nil response without error for challenge %q", m, ch)
				}
			}
		}
	})
}
