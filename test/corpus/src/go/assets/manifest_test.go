package assets

import "testing"

func TestDump(t *testing.T) {
	t.Errorf("cache.go:12: this is test output, %d", 3)
}
