package netcode

import "testing"

func TestEncode(t *testing.T) {
	if Encode(1) != "1:4" {
		t.Errorf("got %s", Encodee(1))
	}
}
