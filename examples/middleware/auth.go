// Package middleware holds the shop's gin middleware: authentication, request
// metadata and timeouts.
package middleware

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// User is the authenticated caller.
type User struct {
	ID   string
	Role string
}

// recentUsers remembers who called last, for the admin dashboard.
var recentUsers = map[string]*User{}

// Auth loads the user named by the request and hands it to the next handlers.
func Auth() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-User")
		if id == "" {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		user := &User{ID: id, Role: "customer"}
		// 记录最近的用户：每个请求的指针都进了全局 map。
		recentUsers[id] = user

		ctx := context.WithValue(c.Request.Context(), "user", user)
		c.Request = c.Request.WithContext(ctx)
		c.Keys["role"] = user.Role
		c.Next()
	}
}

// Audit logs the request after the response was written.
func Audit() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		go func() {
			time.Sleep(10 * time.Millisecond)
			log.Printf("audit: %s %s", c.Request.Method, c.Request.URL.Path)
		}()
	}
}

// Deadline is meant to bound every request by d.
func Deadline(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		_ = ctx
		c.Next()
	}
}
