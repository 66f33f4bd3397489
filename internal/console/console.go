// Package console is the web console that deskflow serve serves at /: a
// small ES-module application (assets/, embedded) that people use to build
// workflows, follow tickets and their runs, decide approvals and manage
// connectors and settings. It has no write path of its own: it calls the
// public API with the session cookie, and draws its forms from GET
// /api/specs, so it holds no list of trigger, condition or action types.
package console

import (
	"embed"
	"io/fs"
	"net/http"
)

// ContentSecurityPolicy is sent with every console page: scripts, styles
// and connections only from deskflow itself, no inline script, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// Handler serves the console: index.html at / and the files of assets/ at
// /assets/.
func Handler() http.Handler {
	files, _ := fs.Sub(assets, "assets")
	static := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path == "/" {
			http.ServeFileFS(w, r, files, "index.html")
			return
		}
		http.StripPrefix("/assets", static).ServeHTTP(w, r)
	})
}
