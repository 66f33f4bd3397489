package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deskflow/deskflow/internal/auth"
	"github.com/deskflow/deskflow/internal/console"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// People sign in to the console with an email and a password, or once with
// a link; the session is a random secret in an HttpOnly, SameSite=Lax
// cookie (Secure over TLS) that expires. The API takes it wherever it takes
// a token.

// Sessions and links.
const (
	sessionCookie   = "deskflow_session"
	SessionLifetime = 12 * time.Hour
	// SignInLinkLifetime is how long a one-time sign-in link (the first
	// admin's, an invitation's) may be used.
	SignInLinkLifetime = 72 * time.Hour
	minPassword        = 10
	maxPassword        = 72 // bcrypt reads no more
)

// Password attempts: 5 a minute per email; 20 a minute per client address
// (an office's people share one).
var (
	signInRate     = RateLimit{Rate: 5.0 / 60, Burst: 5}
	signInAddrRate = RateLimit{Rate: 20.0 / 60, Burst: 20}
)

type sessionInput struct {
	Email    string `json:"email" format:"email"`
	Password string `json:"password" minLength:"1"`
}

// sessionView is who is signed in and the workspaces they may open.
type sessionView struct {
	User       helpdesk.User        `json:"user"`
	Workspaces []storage.Membership `json:"workspaces"`
}

type profileInput struct {
	Name     string `json:"name,omitempty" maxLength:"100"`
	Email    string `json:"email,omitempty" format:"email"`
	Password string `json:"password,omitempty" minLength:"10" maxLength:"72" doc:"A new password (write-only); omitted: unchanged."`
}

type invitationInput struct {
	Name  string `json:"name" minLength:"1" maxLength:"100"`
	Email string `json:"email" format:"email"`
	Role  string `json:"role" enum:"role"`
}

// invitation is a new member and the one-time link that signs them in.
type invitation struct {
	User      helpdesk.User `json:"user"`
	LinkPath  string        `json:"link_path" doc:"Open it on this server (https://HOST/sign-in/…) within expires_at: it signs the person in once. Shown only this once."`
	ExpiresAt time.Time     `json:"expires_at"`
}

type roleInput struct {
	Role string `json:"role" enum:"role"`
}

// sessionUser returns the user of the request's session cookie.
func (s *Server) sessionUser(ctx context.Context, r *http.Request) (helpdesk.User, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !auth.LooksLikeSecret(c.Value) {
		return helpdesk.User{}, false, nil
	}
	u, err := s.db.SessionUser(ctx, auth.Hash(c.Value))
	if errors.Is(err, storage.ErrNotFound) {
		return u, false, nil
	}
	return u, err == nil, err
}

// startSession creates a session for the user and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID string) error {
	secret := auth.NewSecret()
	expires := time.Now().Add(SessionLifetime)
	if err := s.db.CreateSession(r.Context(), userID, auth.Hash(secret), expires); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", Expires: expires, MaxAge: int(SessionLifetime.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return nil
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, _ principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	email, _ := obj.String("email", true)
	password, _ := obj.String("password", true)
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	for l, key := range map[*limiter]string{s.signIns: strings.ToLower(strings.TrimSpace(email)), s.signInsByAddr: clientAddr(r)} {
		if ok, wait := l.allow(key); !ok {
			tooManyRequests(w, wait)
			return nil
		}
	}
	creds, err := s.db.PasswordsOf(r.Context(), strings.TrimSpace(email))
	if err != nil {
		return err
	}
	for _, c := range creds {
		if bcrypt.CompareHashAndPassword([]byte(c.PasswordHash), []byte(password)) == nil {
			if err := s.startSession(w, r, c.UserID); err != nil {
				return err
			}
			return s.answerSession(w, r, c.UserID)
		}
	}
	return errStatus(http.StatusUnauthorized, "Unauthenticated: the email or the password is wrong.")
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) showSession(w http.ResponseWriter, r *http.Request, _ principal) error {
	u, err := s.identify(r.Context(), r)
	if err != nil {
		return err
	}
	return s.answerSession(w, r, u.ID)
}

func (s *Server) answerSession(w http.ResponseWriter, r *http.Request, userID string) error {
	ms, err := s.db.Memberships(r.Context(), userID)
	if err != nil {
		return err
	}
	view := sessionView{Workspaces: ms}
	if len(ms) > 0 {
		if view.User, err = s.db.GetUser(r.Context(), ms[0].WorkspaceID, userID); err != nil {
			return err
		}
	}
	return ok(w, view)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, _ principal) error {
	if c, err := r.Cookie(sessionCookie); err == nil && auth.LooksLikeSecret(c.Value) {
		if err := s.db.DeleteSession(r.Context(), auth.Hash(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return noContent(w)
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	u, err := s.db.GetUser(r.Context(), p.WorkspaceID, p.UserID)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	if obj.Has("name") {
		u.Name = requiredName(obj, "name")
	}
	if obj.Has("email") {
		u.Email = emailField(obj, "email", false)
	}
	var hash []byte
	if password, ok := obj.String("password", false); ok {
		switch {
		case len(password) < minPassword:
			errs.Add("password", "must be at least %d characters", minPassword)
		case len(password) > maxPassword:
			errs.Add("password", "must be at most %d bytes", maxPassword)
		case u.Email == "":
			errs.Add("email", "is required to sign in with a password")
		default:
			if hash, err = bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost); err != nil {
				return err
			}
		}
	}
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	if err := s.db.SetProfile(r.Context(), u.ID, u.Name, u.Email, string(hash)); err != nil {
		return err
	}
	return ok(w, u)
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	name := requiredName(obj, "name")
	email := emailField(obj, "email", true)
	role := roleField(obj)
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	u, err := s.db.AddMember(r.Context(), p.WorkspaceID, name, email, role)
	if err != nil {
		return err
	}
	secret, expires, err := s.SignInLink(r.Context(), p.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	return created(w, invitation{User: u, LinkPath: "/sign-in/" + secret, ExpiresAt: expires})
}

// emailField reads a plain email address (no display name).
func emailField(obj *validate.Object, key string, required bool) string {
	email, ok := obj.String(key, required)
	email = strings.TrimSpace(email)
	if _, err := mail.ParseAddress(email); ok && (err != nil || strings.ContainsAny(email, "<> ")) {
		obj.Errs.Add(obj.FieldPath(key), "must be an email address")
	}
	return email
}

// roleField reads a required role.
func roleField(obj *validate.Object) string {
	role, ok := obj.String("role", true)
	if ok {
		obj.OneOf("role", role, helpdesk.Roles...)
	}
	return role
}

// SignInLink makes a one-time sign-in link of a member into a workspace:
// the secret of /sign-in/{secret}.
func (s *Server) SignInLink(ctx context.Context, ws int64, userID string) (string, time.Time, error) {
	secret := auth.NewSecret()
	expires := time.Now().Add(SignInLinkLifetime).UTC().Truncate(time.Second)
	return secret, expires, s.db.CreateSignInLink(ctx, ws, userID, auth.Hash(secret), expires)
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	if _, err := s.db.GetUser(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	role := roleField(obj)
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	if id == p.UserID && role != helpdesk.RoleAdmin {
		return validate.Field("role", "you cannot take the admin role from yourself")
	}
	if err := s.db.SetRole(r.Context(), p.WorkspaceID, id, role); err != nil {
		return err
	}
	u, err := s.db.GetUser(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, u)
}

// useSignInLink serves /sign-in/{secret}: a link used once starts a
// session and opens the console in the link's workspace.
func (s *Server) useSignInLink(w http.ResponseWriter, r *http.Request) {
	secret := r.PathValue("secret")
	if !auth.LooksLikeSecret(secret) {
		s.linkRefused(w)
		return
	}
	userID, ws, err := s.db.UseSignInLink(r.Context(), auth.Hash(secret))
	if errors.Is(err, storage.ErrNotFound) {
		s.linkRefused(w)
		return
	}
	if err == nil {
		err = s.startSession(w, r, userID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/#/"+strconv.FormatInt(ws, 10)+"/welcome", http.StatusSeeOther)
}

func (s *Server) linkRefused(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", console.ContentSecurityPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>deskflow</title></head><body><main><h1>This sign-in link cannot be used</h1><p>It was used already, or it has expired. Ask an admin for a new invitation, or <a href="/">sign in with your password</a>.</p></main></body></html>`))
}
