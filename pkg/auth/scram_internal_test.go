package auth

import (
	"testing"
)

// TestSCRAMKnownAnswers replays the example exchanges of RFC 5802 §5 (SHA-1) and RFC 7677 §3
// (SHA-256): the client-final message, proof included, must match byte for byte, and the
// given server signature must verify.
func TestSCRAMKnownAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mech                               Mechanism
		nonce                              string
		serverFirst, clientFinal, srvFinal string
	}{
		{
			mech:        SCRAMSHA1,
			nonce:       "fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			srvFinal:    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			mech:        SCRAMSHA256,
			nonce:       "rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			srvFinal:    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.mech), func(t *testing.T) {
			t.Parallel()
			c, err := newSCRAMClientNonce(Params{Mechanism: tt.mech, User: "user", Password: "pencil"}, tt.nonce)
			if err != nil {
				t.Fatal(err)
			}
			first, err := c.Next([]byte{})
			if err != nil {
				t.Fatal(err)
			}
			if want := "n,,n=user,r=" + tt.nonce; string(first) != want {
				t.Errorf("client-first %q, want %q", first, want)
			}
			final, err := c.Next([]byte(tt.serverFirst))
			if err != nil {
				t.Fatal(err)
			}
			if string(final) != tt.clientFinal {
				t.Errorf("client-final %q, want %q", final, tt.clientFinal)
			}
			last, err := c.Next([]byte(tt.srvFinal))
			if err != nil {
				t.Fatalf("server-final rejected: %v", err)
			}
			if last == nil || len(last) != 0 {
				t.Errorf("last response %#v, want a non-nil empty slice", last)
			}
			if !c.ServerVerified() {
				t.Error("ServerVerified() = false")
			}
		})
	}
}
