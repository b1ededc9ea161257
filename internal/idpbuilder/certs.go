package idpbuilder

import "encoding/pem"

// CertificateDERs returns the DER bytes of each certificate in PEM data, in
// order, skipping other blocks: a CA file trusts the cluster when one of its
// certificates is byte for byte one of the cluster CA's.
func CertificateDERs(data []byte) [][]byte {
	var out [][]byte
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out
		}
		if block.Type == "CERTIFICATE" {
			out = append(out, block.Bytes)
		}
	}
}
