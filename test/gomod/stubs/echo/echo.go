// Package echo is a compile-only stand-in for github.com/labstack/echo/v4,
// written for mapctx's golden tests: the handler API the fixtures use.
package echo

import (
	"net/http"
	"sync"
)

// Map is a shortcut for a JSON object.
type Map map[string]any

// HandlerFunc handles one request.
type HandlerFunc func(c Context) error

// MiddlewareFunc wraps a handler.
type MiddlewareFunc func(next HandlerFunc) HandlerFunc

// Response wraps the http.ResponseWriter.
type Response struct {
	Writer http.ResponseWriter
	Status int
}

// Header returns the response headers.
func (r *Response) Header() http.Header { return r.Writer.Header() }

// Context is the request context echo hands to handlers; echo reuses it.
type Context interface {
	Request() *http.Request
	SetRequest(r *http.Request)
	Response() *Response
	Path() string
	Param(name string) string
	ParamNames() []string
	QueryParam(name string) string
	FormValue(name string) string
	RealIP() string
	Get(key string) any
	Set(key string, val any)
	Bind(i any) error
	JSON(code int, i any) error
	String(code int, s string) error
	NoContent(code int) error
	Echo() *Echo
}

type context struct {
	request  *http.Request
	response *Response
	echo     *Echo
	mu       sync.RWMutex
	store    Map
	params   map[string]string
}

func (c *context) Request() *http.Request     { return c.request }
func (c *context) SetRequest(r *http.Request) { c.request = r }
func (c *context) Response() *Response        { return c.response }
func (c *context) Path() string               { return c.request.URL.Path }
func (c *context) Param(name string) string   { return c.params[name] }
func (c *context) ParamNames() []string {
	names := make([]string, 0, len(c.params))
	for n := range c.params {
		names = append(names, n)
	}
	return names
}
func (c *context) QueryParam(name string) string { return c.request.URL.Query().Get(name) }
func (c *context) FormValue(name string) string  { return c.request.FormValue(name) }
func (c *context) RealIP() string                { return c.request.RemoteAddr }
func (c *context) Get(key string) any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.store[key]
}
func (c *context) Set(key string, val any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store == nil {
		c.store = make(Map)
	}
	c.store[key] = val
}
func (c *context) Bind(i any) error { return nil }
func (c *context) JSON(code int, i any) error {
	c.response.Status = code
	return nil
}
func (c *context) String(code int, s string) error {
	c.response.Status = code
	return nil
}
func (c *context) NoContent(code int) error {
	c.response.Status = code
	return nil
}
func (c *context) Echo() *Echo { return c.echo }

// Echo is the router.
type Echo struct {
	middleware []MiddlewareFunc
}

// New returns a router.
func New() *Echo { return &Echo{} }

// NewContext returns a context for one request (tests use it).
func (e *Echo) NewContext(r *http.Request, w http.ResponseWriter) Context {
	return &context{request: r, response: &Response{Writer: w}, echo: e}
}

// Use adds middleware.
func (e *Echo) Use(m ...MiddlewareFunc) { e.middleware = append(e.middleware, m...) }

// GET registers a route.
func (e *Echo) GET(path string, h HandlerFunc, m ...MiddlewareFunc) {}

// POST registers a route.
func (e *Echo) POST(path string, h HandlerFunc, m ...MiddlewareFunc) {}

// Start serves HTTP.
func (e *Echo) Start(addr string) error { return http.ListenAndServe(addr, nil) }
