package idpbuilder

import (
	"encoding/pem"
	"slices"
	"testing"
)

func TestCertificateDERs(t *testing.T) {
	cert := func(b string) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte(b)}) }
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("k")})
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, nil},
		{"not PEM", []byte("hello"), nil},
		{"one", cert("a"), []string{"a"}},
		{"two in order, a key skipped", slices.Concat(cert("a"), key, []byte("junk\n"), cert("b")), []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, der := range CertificateDERs(tt.data) {
				got = append(got, string(der))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("CertificateDERs = %q, want %q", got, tt.want)
			}
		})
	}
}
