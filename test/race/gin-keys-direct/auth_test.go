package ginkeys

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestAuthWhileAuditing(t *testing.T) {
	for i := 0; i < 20; i++ {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		c.Request.Header.Set("X-User", "alice")
		c.Set("request-id", i)
		done := make(chan string, 1)
		Audit(c, done)
		Auth(c)
		<-done
	}
}
