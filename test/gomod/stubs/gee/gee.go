// Package gee is a compile-only stand-in for the small gee web framework
// (and its forks with Set/Get), written for mapctx's golden tests.
package gee

import (
	"net/http"
	"sync"
)

// H is a shortcut for a JSON object.
type H map[string]interface{}

// HandlerFunc handles one request.
type HandlerFunc func(*Context)

// Context carries one request through the handler chain.
type Context struct {
	Writer     http.ResponseWriter
	Req        *http.Request
	Path       string
	Method     string
	Params     map[string]string
	StatusCode int
	Keys       map[string]interface{}

	mu       sync.RWMutex
	handlers []HandlerFunc
	index    int
}

// Next runs the remaining handlers of the chain.
func (c *Context) Next() {
	for c.index++; c.index < len(c.handlers); c.index++ {
		c.handlers[c.index](c)
	}
}

// Set stores a value for this request under the context's lock.
func (c *Context) Set(key string, value interface{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Keys == nil {
		c.Keys = make(map[string]interface{})
	}
	c.Keys[key] = value
}

// Get reads a value stored with Set.
func (c *Context) Get(key string) (value interface{}, exists bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	value, exists = c.Keys[key]
	return
}

// Param returns a path parameter.
func (c *Context) Param(key string) string { return c.Params[key] }

// Query returns a query-string value.
func (c *Context) Query(key string) string { return c.Req.URL.Query().Get(key) }

// PostForm returns a form value.
func (c *Context) PostForm(key string) string { return c.Req.FormValue(key) }

// Status sets the response status.
func (c *Context) Status(code int) {
	c.StatusCode = code
	c.Writer.WriteHeader(code)
}

// Fail stops the chain with an error message.
func (c *Context) Fail(code int, err string) {
	c.index = len(c.handlers)
	c.JSON(code, H{"message": err})
}

// String writes a text response.
func (c *Context) String(code int, format string, values ...interface{}) { c.Status(code) }

// JSON writes a JSON response.
func (c *Context) JSON(code int, obj interface{}) { c.Status(code) }

// Engine routes requests to handler chains.
type Engine struct{ middleware []HandlerFunc }

// New returns an engine.
func New() *Engine { return &Engine{} }

// Default returns an engine.
func Default() *Engine { return &Engine{} }

// Use adds middleware.
func (e *Engine) Use(h ...HandlerFunc) { e.middleware = append(e.middleware, h...) }

// GET registers a route.
func (e *Engine) GET(pattern string, h HandlerFunc) {}

// POST registers a route.
func (e *Engine) POST(pattern string, h HandlerFunc) {}

// Run serves HTTP.
func (e *Engine) Run(addr string) error { return http.ListenAndServe(addr, nil) }
