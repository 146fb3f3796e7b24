// Package gincopy is a race proof for gin-context-in-goroutine: the handler's
// goroutine reads the context after the handler returned, while gin hands the
// same context to the next request and resets its parameters.
package gincopy

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Upload accepts the upload and reports its id from the background.
func Upload(c *gin.Context, processed chan<- string) {
	go func() {
		processed <- c.Param("id")
	}()
	c.Status(http.StatusAccepted)
}
