module mapctx.test/race/gincopy

go 1.19

require github.com/gin-gonic/gin v1.9.1

replace github.com/gin-gonic/gin => ../../gomod/stubs/gin
