module mapctx.test/race/globalmap

go 1.19
