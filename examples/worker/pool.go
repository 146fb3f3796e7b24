// Package worker runs jobs on a pool of goroutines.
package worker

import (
	"context"
	"sync"
	"time"
)

// Job is one unit of work.
type Job struct {
	ID    int
	Input string
}

// RunAll processes jobs concurrently and collects the lengths by job id.
func RunAll(jobs []Job) map[int]int {
	results := make(map[int]int)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func(j Job) {
			defer wg.Done()
			results[j.ID] = len(j.Input)
		}(j)
	}
	wg.Wait()
	return results
}

// RunAllSafe gives each goroutine its own slot and merges after Wait: correct code.
func RunAllSafe(jobs []Job) map[int]int {
	partial := make([]int, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func(i int, j Job) {
			defer wg.Done()
			partial[i] = len(j.Input)
		}(i, j)
	}
	wg.Wait()
	results := make(map[int]int, len(jobs))
	for i, j := range jobs {
		results[j.ID] = partial[i]
	}
	return results
}

// Heartbeat reports liveness every interval while the request is open.
func Heartbeat(ctx context.Context, interval time.Duration, beat func()) {
	ticker := time.NewTicker(interval)
	go func() {
		for range ticker.C {
			beat()
		}
	}()
}

// Consume handles jobs until ctx is cancelled: correct code.
func Consume(ctx context.Context, jobs <-chan Job, handle func(Job)) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case j := <-jobs:
				handle(j)
			}
		}
	}()
}
