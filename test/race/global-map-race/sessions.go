// Package sessions is a race proof for global-map-race: handlers, which
// net/http runs concurrently, write and read a package-level map.
package sessions

import "net/http"

var sessions = make(map[string]string)

// Login stores the user of a session.
func Login(w http.ResponseWriter, r *http.Request) {
	sessions[r.FormValue("id")] = r.FormValue("user")
}

// Whoami answers with the user of a session.
func Whoami(w http.ResponseWriter, r *http.Request) {
	user, ok := sessions[r.FormValue("id")]
	if !ok {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	w.Write([]byte(user))
}
