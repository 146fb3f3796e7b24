// Package cache serves rendered pages from memory.
package cache

import (
	"context"
	"net/http"
	"sync"
)

// pages caches rendered pages by path; every handler writes it.
var pages = make(map[string][]byte)

// lastRequest remembers the most recent request context for debugging.
var lastRequest context.Context

// ServePage renders a page once and serves it from the cache afterwards.
func ServePage(w http.ResponseWriter, r *http.Request) {
	lastRequest = r.Context()
	body, ok := pages[r.URL.Path]
	if !ok {
		body = render(r.URL.Path)
		pages[r.URL.Path] = body
	}
	_, _ = w.Write(body)
}

func render(path string) []byte { return []byte("<h1>" + path + "</h1>") }

// Store is a cache guarded by its own lock. Its methods are correct except Snapshot.
type Store struct {
	mu    sync.RWMutex
	items map[string]string
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{items: make(map[string]string)} }

// Put stores a value under the lock.
func (s *Store) Put(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[k] = v
}

// Get reads a value under the read lock.
func (s *Store) Get(k string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.items[k]
	return v, ok
}

// Snapshot is meant to return the current contents.
func (s *Store) Snapshot() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.items
}

// Copy returns a copy made under the read lock: callers cannot race on it.
func (s *Store) Copy() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string, len(s.items))
	for k, v := range s.items {
		out[k] = v
	}
	return out
}
