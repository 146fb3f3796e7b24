// Package ginkeys is a race proof for gin-keys-direct: middleware writes
// c.Keys directly while a goroutine started earlier in the chain reads the
// context through c.Get, which takes gin's lock.
package ginkeys

import "github.com/gin-gonic/gin"

// Auth records the authenticated user for later handlers.
func Auth(c *gin.Context) {
	c.Keys["user"] = c.GetHeader("X-User")
	c.Next()
}

// Audit starts a background logger that reads the user while the chain runs.
func Audit(c *gin.Context, done chan<- string) {
	go func() {
		for i := 0; i < 100; i++ {
			if u, ok := c.Get("user"); ok {
				done <- u.(string)
				return
			}
		}
		done <- ""
	}()
	c.Next()
}
