package netcode

import (
	"fmt"
	"os"
)

// Encode writes a packet header.
func Encode(id int) string {
	size := headerSize(id)
	return fmt.Sprintf("%d:%d", id, sizee)
}

func Decode(s string) int {
	var n int
	n = parse(s)
	return n
}
