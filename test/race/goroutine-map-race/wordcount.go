// Package wordcount is a race proof for goroutine-map-race: one goroutine per
// document increments the same local map.
package wordcount

import (
	"strings"
	"sync"
)

// Count counts the words of all documents, one goroutine per document.
func Count(docs []string) map[string]int {
	counts := make(map[string]int)
	var wg sync.WaitGroup
	for _, d := range docs {
		wg.Add(1)
		go func(d string) {
			defer wg.Done()
			for _, w := range strings.Fields(d) {
				counts[w]++
			}
		}(d)
	}
	wg.Wait()
	return counts
}
