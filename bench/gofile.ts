// A generated Go file for the editor benchmark: handlers, goroutines, lock
// regions and types with maps, with a finding in about one handler in five.

/** A package file of about `lines` lines. */
export function bigFile(lines: number): string {
  let s = `package bench

import (
	"context"
	"log"
	"net/http"
	"sync"
)

type ctxKey struct{}

var (
	mu      sync.Mutex
	cache   = make(map[string]int)
	stats   = map[string]int{}
	results = make(map[string]int)
)
`;
  for (let i = 0; s.split("\n").length < lines; i++) {
    const racy = i % 5 === 0;
    s += `
// handler${i} counts requests — ünïcödé 中文 🙂.
func handler${i}(w http.ResponseWriter, r *http.Request) {
	key := r.FormValue("key${i}")
	mu.Lock()
	cache[key]++
	mu.Unlock()
	for k, v := range stats {
		if v > ${i} {
			log.Printf("%s %d", k, v)
		}
	}
	ctx := context.WithValue(r.Context(), ctxKey{}, key)
	local := map[string]int{}
	go func() {
		${racy ? "results" : "local"}[key] = ${i}
	}()
	_ = ctx
}

type Store${i} struct {
	mu    sync.Mutex
	items map[string]int
}

// Items returns a copy of the items of store ${i}.
func (s *Store${i}) Items() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.items))
	for k, v := range s.items {
		out[k] = v
	}
	return out
}
`;
  }
  return s;
}
