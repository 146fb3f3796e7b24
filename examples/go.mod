module example.com/shop

go 1.19

require github.com/gin-gonic/gin v1.9.1

// A compile-only stand-in for gin, written for these examples: the machine that
// runs the tests has no module proxy.
replace github.com/gin-gonic/gin => ./_stubs/gin
