package web

import (
	"strings"
	"testing"
)

// pairCode is shaped like a whatsmeow QR code: ref, noise key, identity key, adv secret (about 170 characters).
var pairCode = "2@" + strings.Repeat("AbCdEfGhIj", 9) + ",Kz3s9Qm4bV1xYwP0tR7uNcL2eHgJ5fDaZ8iOkUyW6q=,Ht2Lw9Ps4Dq1Vx7Gz0Bn3Mc6Kf8Yj5Ra2Ue9So4Ti=,Qp7Zr2Mn5Xc8Lv1Bk4Jh0Gf6Dy3Sw9Ea=="

func BenchmarkQRSVG(b *testing.B) {
	svg, err := qrSVG(pairCode)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := qrSVG(pairCode); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(svg)), "svg-bytes")
}
