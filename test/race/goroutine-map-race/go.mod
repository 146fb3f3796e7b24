module mapctx.test/race/goroutinemap

go 1.19
