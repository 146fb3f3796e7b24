// Package gin is a compile-only stand-in for github.com/gin-gonic/gin, written
// for mapctx's golden and race tests. It has the API the fixtures use, with
// gin's locking in Set/Get/Copy so race tests see the same synchronisation.
package gin

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// H is a shortcut for a JSON object.
type H map[string]any

// HandlerFunc handles one request.
type HandlerFunc func(*Context)

// HandlersChain is a list of handlers.
type HandlersChain []HandlerFunc

// Param is one URL parameter.
type Param struct {
	Key   string
	Value string
}

// Params is the list of URL parameters.
type Params []Param

// ByName returns the value of the named parameter.
func (ps Params) ByName(name string) string {
	for _, p := range ps {
		if p.Key == name {
			return p.Value
		}
	}
	return ""
}

// ResponseWriter is gin's response writer.
type ResponseWriter interface {
	http.ResponseWriter
	Status() int
	Written() bool
}

// Context carries one request through the handler chain.
type Context struct {
	Request *http.Request
	Writer  ResponseWriter
	Params  Params
	Keys    map[string]any
	Errors  []error

	mu       sync.RWMutex
	handlers HandlersChain
	index    int
}

// Param returns a path parameter.
func (c *Context) Param(key string) string { return c.Params.ByName(key) }

// Query returns a query-string value.
func (c *Context) Query(key string) string { return c.Request.URL.Query().Get(key) }

// DefaultQuery returns a query-string value or def.
func (c *Context) DefaultQuery(key, def string) string {
	if v := c.Query(key); v != "" {
		return v
	}
	return def
}

// PostForm returns a form value.
func (c *Context) PostForm(key string) string { return c.Request.PostFormValue(key) }

// GetHeader returns a request header.
func (c *Context) GetHeader(key string) string { return c.Request.Header.Get(key) }

// Header sets a response header.
func (c *Context) Header(key, value string) { c.Writer.Header().Set(key, value) }

// ClientIP returns the client's address.
func (c *Context) ClientIP() string { return c.Request.RemoteAddr }

// FullPath returns the matched route.
func (c *Context) FullPath() string { return c.Request.URL.Path }

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
func (c *Context) Get(key string) (value any, exists bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	value, exists = c.Keys[key]
	return
}

// MustGet reads a value stored with Set and panics when it is missing.
func (c *Context) MustGet(key string) any {
	if v, ok := c.Get(key); ok {
		return v
	}
	panic("key " + key + " does not exist")
}

// GetString reads a string stored with Set.
func (c *Context) GetString(key string) (s string) {
	if v, ok := c.Get(key); ok && v != nil {
		s, _ = v.(string)
	}
	return
}

// GetInt reads an int stored with Set.
func (c *Context) GetInt(key string) (i int) {
	if v, ok := c.Get(key); ok && v != nil {
		i, _ = v.(int)
	}
	return
}

// Copy returns a copy that is safe to use after the handler returns.
func (c *Context) Copy() *Context {
	cp := &Context{Request: c.Request, Params: append(Params(nil), c.Params...), index: len(c.handlers)}
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

// Abort stops the chain.
func (c *Context) Abort() { c.index = len(c.handlers) }

// IsAborted reports whether the chain was stopped.
func (c *Context) IsAborted() bool { return c.index >= len(c.handlers) }

// AbortWithStatus stops the chain with a status code.
func (c *Context) AbortWithStatus(code int) {
	c.Status(code)
	c.Abort()
}

// AbortWithStatusJSON stops the chain with a JSON body.
func (c *Context) AbortWithStatusJSON(code int, obj any) {
	c.Abort()
	c.JSON(code, obj)
}

// AbortWithError stops the chain and records err.
func (c *Context) AbortWithError(code int, err error) error {
	c.AbortWithStatus(code)
	c.Errors = append(c.Errors, err)
	return err
}

// Error records an error for the middleware chain.
func (c *Context) Error(err error) error {
	c.Errors = append(c.Errors, err)
	return err
}

// Status sets the response status.
func (c *Context) Status(code int) {
	if c.Writer != nil {
		c.Writer.WriteHeader(code)
	}
}

// JSON writes a JSON response.
func (c *Context) JSON(code int, obj any) { c.Status(code) }

// IndentedJSON writes an indented JSON response.
func (c *Context) IndentedJSON(code int, obj any) { c.Status(code) }

// String writes a text response.
func (c *Context) String(code int, format string, values ...any) { c.Status(code) }

// Data writes raw bytes.
func (c *Context) Data(code int, contentType string, data []byte) { c.Status(code) }

// BindJSON decodes the request body.
func (c *Context) BindJSON(obj any) error { return nil }

// ShouldBindJSON decodes the request body without aborting.
func (c *Context) ShouldBindJSON(obj any) error { return nil }

// Deadline implements context.Context (gin has no deadline of its own).
func (c *Context) Deadline() (deadline time.Time, ok bool) { return }

// Done implements context.Context.
func (c *Context) Done() <-chan struct{} { return nil }

// Err implements context.Context.
func (c *Context) Err() error { return nil }

// Value returns the value stored with Set for a string key, like gin's default
// (no ContextWithFallback).
func (c *Context) Value(key any) any {
	if s, ok := key.(string); ok {
		if v, exists := c.Get(s); exists {
			return v
		}
	}
	return nil
}

var _ context.Context = (*Context)(nil)

// IRoutes registers routes.
type IRoutes interface {
	Use(...HandlerFunc) IRoutes
	GET(string, ...HandlerFunc) IRoutes
	POST(string, ...HandlerFunc) IRoutes
}

// RouterGroup is a group of routes sharing a prefix and middleware.
type RouterGroup struct {
	Handlers HandlersChain
	basePath string
}

// Use adds middleware.
func (g *RouterGroup) Use(h ...HandlerFunc) IRoutes {
	g.Handlers = append(g.Handlers, h...)
	return g
}

// Group returns a sub-group.
func (g *RouterGroup) Group(path string, h ...HandlerFunc) *RouterGroup {
	return &RouterGroup{Handlers: append(append(HandlersChain(nil), g.Handlers...), h...), basePath: g.basePath + path}
}

// Handle registers a route for a method.
func (g *RouterGroup) Handle(method, path string, h ...HandlerFunc) IRoutes { return g }

// GET registers a route.
func (g *RouterGroup) GET(path string, h ...HandlerFunc) IRoutes { return g }

// POST registers a route.
func (g *RouterGroup) POST(path string, h ...HandlerFunc) IRoutes { return g }

// PUT registers a route.
func (g *RouterGroup) PUT(path string, h ...HandlerFunc) IRoutes { return g }

// DELETE registers a route.
func (g *RouterGroup) DELETE(path string, h ...HandlerFunc) IRoutes { return g }

// Engine routes requests to handler chains.
type Engine struct {
	RouterGroup
	ContextWithFallback bool
}

// New returns an engine without middleware.
func New() *Engine { return &Engine{} }

// Default returns an engine.
func Default() *Engine { return &Engine{} }

// Run serves HTTP.
func (e *Engine) Run(addr ...string) error { return http.ListenAndServe(":8080", e) }

// ServeHTTP runs the engine's middleware for one request.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &Context{Request: r, Writer: &writer{ResponseWriter: w}, handlers: e.Handlers, index: -1}
	c.Next()
}

// CreateTestContext returns a context for tests, as gin's testing helper does.
func CreateTestContext(w http.ResponseWriter) (*Context, *Engine) {
	e := New()
	return &Context{Writer: &writer{ResponseWriter: w}, index: -1}, e
}

type writer struct {
	http.ResponseWriter
	status int
}

func (w *writer) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *writer) Status() int   { return w.status }
func (w *writer) Written() bool { return w.status != 0 }
