package audio

import "testing"

func TestGain(t *testing.T) {
	t.Log("mixer.go:4: checking channel 0")
	if g := Gain(0); g != 0.5 {
		t.Errorf("Gain(0) = %v, want 0.5", g)
	}
}
