module mapctx.test/golden

go 1.19

require (
	example.com/gee v0.0.0
	gee v0.0.0
	github.com/gin-gonic/gin v1.9.1
	github.com/gofiber/fiber/v2 v2.52.0
	github.com/labstack/echo/v4 v4.11.4
	golang.org/x/sync v0.6.0
)

// Compile-only stand-ins written for mapctx's tests: the machines that run
// them have no module proxy. Golden files and race programs build against these.
replace (
	example.com/gee => ./stubs/examplegee
	gee => ./stubs/gee
	github.com/gin-gonic/gin => ./stubs/gin
	github.com/gofiber/fiber/v2 => ./stubs/fiber
	github.com/labstack/echo/v4 => ./stubs/echo
	golang.org/x/sync => ./stubs/errgroup
)
