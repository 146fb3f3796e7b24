// Command shop wires the examples into one server.
package main

import (
	"log"
	"net/http"
	"time"

	"example.com/shop/cache"
	"example.com/shop/middleware"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	r.Use(middleware.Auth(), middleware.Audit(), middleware.Deadline(time.Second), middleware.Timeout(time.Second))
	r.GET("/items/:id", func(c *gin.Context) { c.String(http.StatusOK, c.Param("id")) })
	http.HandleFunc("/pages/", cache.ServePage)
	log.Fatal(r.Run(":8080"))
}
