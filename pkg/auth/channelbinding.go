package auth

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// ChannelBindingType names a channel-binding type as used in the SCRAM GS2 header.
type ChannelBindingType string

// The channel-binding types msmtp uses: tls-exporter on TLS 1.3 (RFC 9266), tls-unique on
// TLS 1.2 and below (RFC 5929), which is what upstream's GnuTLS code asks for.
const (
	TLSExporter ChannelBindingType = "tls-exporter"
	TLSUnique   ChannelBindingType = "tls-unique"
)

// ChannelBinding is the data that ties a SCRAM-PLUS exchange to one TLS connection.
type ChannelBinding struct {
	Type ChannelBindingType
	Data []byte
}

// ErrNoChannelBinding is returned by ChannelBindingFromTLS when the connection offers no
// usable channel-binding data (a TLS 1.2 resumption has no tls-unique value, for example).
var ErrNoChannelBinding = errors.New("no TLS channel binding data available")

// exporterLabel and exporterLength are fixed by RFC 9266 §2.
const (
	exporterLabel  = "EXPORTER-Channel-Binding"
	exporterLength = 32
)

// ChannelBindingFromTLS derives the channel-binding data of an established TLS connection:
// tls-exporter (ExportKeyingMaterial with the RFC 9266 label, no context, 32 bytes) on TLS
// 1.3 and later, tls-unique (ConnectionState.TLSUnique) below. It returns an error wrapping
// ErrNoChannelBinding when there is none; SCRAM-*-PLUS is then unavailable.
func ChannelBindingFromTLS(cs *tls.ConnectionState) (ChannelBinding, error) {
	if cs == nil || !cs.HandshakeComplete {
		return ChannelBinding{}, ErrNoChannelBinding
	}
	if cs.Version >= tls.VersionTLS13 {
		data, err := cs.ExportKeyingMaterial(exporterLabel, nil, exporterLength)
		if err != nil {
			return ChannelBinding{}, fmt.Errorf("%w: %v", ErrNoChannelBinding, err)
		}
		return ChannelBinding{Type: TLSExporter, Data: data}, nil
	}
	if len(cs.TLSUnique) == 0 {
		return ChannelBinding{}, ErrNoChannelBinding
	}
	return ChannelBinding{Type: TLSUnique, Data: append([]byte(nil), cs.TLSUnique...)}, nil
}
