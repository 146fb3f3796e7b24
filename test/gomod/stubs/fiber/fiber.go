// Package fiber is a compile-only stand-in for github.com/gofiber/fiber/v2,
// written for mapctx's golden tests: the handler API the fixtures use.
package fiber

import "context"

// Map is a shortcut for a JSON object.
type Map map[string]interface{}

// Handler handles one request.
type Handler = func(*Ctx) error

// Ctx is fiber's request context; fiber reuses it and the strings it returns.
type Ctx struct {
	path   string
	params map[string]string
	locals map[interface{}]interface{}
	uctx   context.Context
	status int
}

// Params returns a path parameter.
func (c *Ctx) Params(key string, defaultValue ...string) string {
	if v, ok := c.params[key]; ok {
		return v
	}
	if len(defaultValue) > 0 {
		return defaultValue[0]
	}
	return ""
}

// Query returns a query-string value.
func (c *Ctx) Query(key string, defaultValue ...string) string { return c.Params(key, defaultValue...) }

// Path returns the request path.
func (c *Ctx) Path() string { return c.path }

// Locals stores (with a value) or reads a request-local value.
func (c *Ctx) Locals(key interface{}, value ...interface{}) interface{} {
	if len(value) == 0 {
		return c.locals[key]
	}
	if c.locals == nil {
		c.locals = make(map[interface{}]interface{})
	}
	c.locals[key] = value[0]
	return value[0]
}

// UserContext returns the context set with SetUserContext.
func (c *Ctx) UserContext() context.Context {
	if c.uctx == nil {
		return context.Background()
	}
	return c.uctx
}

// SetUserContext sets the request's user context.
func (c *Ctx) SetUserContext(ctx context.Context) { c.uctx = ctx }

// Next runs the next handler.
func (c *Ctx) Next() error { return nil }

// Status sets the response status.
func (c *Ctx) Status(code int) *Ctx {
	c.status = code
	return c
}

// JSON writes a JSON response.
func (c *Ctx) JSON(data interface{}) error { return nil }

// SendString writes a text response.
func (c *Ctx) SendString(body string) error { return nil }

// App routes requests.
type App struct{ handlers []Handler }

// New returns an app.
func New() *App { return &App{} }

// Use adds middleware.
func (a *App) Use(args ...interface{}) *App { return a }

// Get registers a route.
func (a *App) Get(path string, handlers ...Handler) *App { return a }

// Post registers a route.
func (a *App) Post(path string, handlers ...Handler) *App { return a }

// Listen serves HTTP.
func (a *App) Listen(addr string) error { return nil }
