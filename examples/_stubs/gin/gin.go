// Package gin is a compile-only stand-in for github.com/gin-gonic/gin with the
// few types and methods the examples use. It is not the real framework.
package gin

import (
	"net/http"
	"sync"
)

// H is a shortcut for a JSON object.
type H map[string]any

// HandlerFunc handles one request.
type HandlerFunc func(*Context)

// Context carries one request through the handler chain.
type Context struct {
	Request *http.Request
	Writer  http.ResponseWriter
	Keys    map[string]any

	mu       sync.RWMutex
	params   map[string]string
	handlers []HandlerFunc
	index    int
}

// Param returns a path parameter.
func (c *Context) Param(key string) string { return c.params[key] }

// Query returns a query-string value.
func (c *Context) Query(key string) string { return c.Request.URL.Query().Get(key) }

// PostForm returns a form value.
func (c *Context) PostForm(key string) string { return c.Request.PostFormValue(key) }

// GetHeader returns a request header.
func (c *Context) GetHeader(key string) string { return c.Request.Header.Get(key) }

// ClientIP returns the client's address.
func (c *Context) ClientIP() string { return c.Request.RemoteAddr }

// Set stores a value for this request under the context's lock.
func (c *Context) Set(key string, value any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Keys == nil {
		c.Keys = make(map[string]any)
	}
	c.Keys[key] = value
}

// Get reads a value stored with Set.
func (c *Context) Get(key string) (any, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.Keys[key]
	return v, ok
}

// MustGet reads a value stored with Set and panics when it is missing.
func (c *Context) MustGet(key string) any {
	if v, ok := c.Get(key); ok {
		return v
	}
	panic("key " + key + " does not exist")
}

// Copy returns a copy that is safe to use after the handler returns.
func (c *Context) Copy() *Context {
	cp := &Context{Request: c.Request, params: c.params}
	c.mu.RLock()
	cp.Keys = make(map[string]any, len(c.Keys))
	for k, v := range c.Keys {
		cp.Keys[k] = v
	}
	c.mu.RUnlock()
	return cp
}

// Next runs the remaining handlers of the chain.
func (c *Context) Next() {
	for c.index++; c.index < len(c.handlers); c.index++ {
		c.handlers[c.index](c)
	}
}

// AbortWithStatus stops the chain with a status code.
func (c *Context) AbortWithStatus(code int) {
	c.Writer.WriteHeader(code)
	c.index = len(c.handlers)
}

// JSON writes a JSON response.
func (c *Context) JSON(code int, obj any) { c.Writer.WriteHeader(code) }

// String writes a text response.
func (c *Context) String(code int, s string) {
	c.Writer.WriteHeader(code)
	_, _ = c.Writer.Write([]byte(s))
}

// Engine routes requests to handler chains.
type Engine struct{ middleware []HandlerFunc }

// Default returns an engine.
func Default() *Engine { return &Engine{} }

// Use adds middleware.
func (e *Engine) Use(h ...HandlerFunc) { e.middleware = append(e.middleware, h...) }

// GET registers a route.
func (e *Engine) GET(path string, h ...HandlerFunc) {}

// POST registers a route.
func (e *Engine) POST(path string, h ...HandlerFunc) {}

// Run serves HTTP.
func (e *Engine) Run(addr string) error { return http.ListenAndServe(addr, nil) }
