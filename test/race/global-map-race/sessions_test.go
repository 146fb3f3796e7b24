package sessions

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestConcurrentLogins(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprint(i)
			Login(httptest.NewRecorder(), httptest.NewRequest("POST", "/login?id="+id+"&user=u"+id, nil))
			rec := httptest.NewRecorder()
			Whoami(rec, httptest.NewRequest("GET", "/whoami?id="+id, nil))
			if got := rec.Body.String(); got != "u"+id {
				t.Errorf("session %s: got %q", id, got)
			}
		}(i)
	}
	wg.Wait()
}
