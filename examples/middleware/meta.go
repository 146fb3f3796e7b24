package middleware

import (
	"context"
	"net/http"
)

type metaKey int

const (
	requestIDKey metaKey = iota
	tenantKey
	localeKey
	traceKey
)

// Metadata copies request metadata into the request context, one value at a time.
func Metadata(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), requestIDKey, r.Header.Get("X-Request-ID"))
		ctx = context.WithValue(ctx, tenantKey, r.Header.Get("X-Tenant"))
		ctx = context.WithValue(ctx, localeKey, r.Header.Get("Accept-Language"))
		ctx = context.WithValue(ctx, traceKey, r.Header.Get("Traceparent"))
		ctx = context.WithValue(ctx, tenantKey, "default")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// TenantFrom reads the tenant stored by Metadata.
func TenantFrom(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey).(string)
	return t
}
