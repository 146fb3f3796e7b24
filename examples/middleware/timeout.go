package middleware

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
)

type ctxKey struct{}

// Timeout bounds every request by d and attaches the deadline to the request,
// so handlers after c.Next() see it. Correct code: mapctx stays silent here.
func Timeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		ctx = context.WithValue(ctx, ctxKey{}, time.Now())
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// Background logs from a copy of the context, which gin allows after return.
func Background() gin.HandlerFunc {
	return func(c *gin.Context) {
		cp := c.Copy()
		go func() {
			_ = cp.ClientIP()
		}()
		c.Set("seen", true)
		if v, ok := c.Get("seen"); ok {
			_ = v
		}
		c.Next()
	}
}
