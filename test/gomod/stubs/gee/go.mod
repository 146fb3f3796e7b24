module gee

go 1.19
