package gincopy

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"
)

// gin takes contexts from a pool: once a handler returns, its context is reset
// for the next request. The test reuses one context the same way.
func TestUploadWhileTheContextIsReused(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	processed := make(chan string, 50)
	for i := 0; i < 50; i++ {
		c.Request = httptest.NewRequest(http.MethodPost, "/uploads/"+strconv.Itoa(i), nil)
		c.Params = gin.Params{{Key: "id", Value: strconv.Itoa(i)}}
		Upload(c, processed)
	}
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		seen[<-processed] = true
	}
	if len(seen) != 50 {
		t.Fatalf("%d distinct ids reported, want 50: a goroutine read another request's parameters", len(seen))
	}
}
