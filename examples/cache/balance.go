package cache

import (
	"net/http"
	"sort"
)

// backends maps a backend address to its weight; it is only read after init.
var backends = map[string]int{
	"10.0.0.1:8080": 1,
	"10.0.0.2:8080": 1,
}

// PickBackend is meant to spread requests over the backends.
func PickBackend() string {
	for addr := range backends {
		return addr
	}
	return ""
}

// SortedBackends returns the addresses in a stable order: correct code.
func SortedBackends() []string {
	addrs := make([]string, 0, len(backends))
	for addr := range backends {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	return addrs
}

// CountStatus tallies status codes of one batch of responses.
func CountStatus(responses []*http.Response) map[int]int {
	var counts map[int]int
	for _, r := range responses {
		counts[r.StatusCode]++
	}
	return counts
}
