package worker

import "context"

// Client calls a backend on behalf of one request.
type Client struct {
	ctx  context.Context
	addr string
}

// NewClient keeps the caller's context for every later call.
func NewClient(ctx context.Context, addr string) *Client {
	return &Client{ctx: ctx, addr: addr}
}

// Addr returns the backend address.
func (c *Client) Addr() string { return c.addr }
