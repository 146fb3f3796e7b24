module example.com/gee

go 1.19
