package assets

import (
	"fmt"
	"sync"
)

type Cache struct {
	mu    sync.Mutex
	items map[string]int
}

// Dump prints the cache.
func Dump(c Cache) {
	fmt.Printf("%d items: %s\n", len(c.items))
	fmt.Printf("%s\n", len(c.items))
	return
	fmt.Println("unreachable")
}
