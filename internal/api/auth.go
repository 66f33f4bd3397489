package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/deskflow/deskflow/internal/auth"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
)

// principal is who calls, in which workspace, with which role.
type principal struct {
	UserID      string
	WorkspaceID int64
	Role        string
}

func (p principal) isAdmin() bool { return p.Role == helpdesk.RoleAdmin }

// access says who may call a route.
type access int

const (
	anyMember access = iota
	adminOnly
)

// identify returns the user of the request's bearer token or, without an
// Authorization header, of its console session cookie: 401 without either.
func (s *Server) identify(ctx context.Context, r *http.Request) (helpdesk.User, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		u, signedIn, err := s.sessionUser(ctx, r)
		if err == nil && !signedIn {
			err = errStatus(http.StatusUnauthorized, "Unauthenticated: send Authorization: Bearer <token>.")
		}
		return u, err
	}
	token, found := strings.CutPrefix(header, "Bearer ")
	token = strings.TrimSpace(token)
	if !found || token == "" {
		return helpdesk.User{}, errStatus(http.StatusUnauthorized, "Unauthenticated: send Authorization: Bearer <token>.")
	}
	if !auth.LooksLikeToken(token) {
		return helpdesk.User{}, errStatus(http.StatusUnauthorized, "Unauthenticated: the token is not valid.")
	}
	u, err := s.db.UserByTokenHash(ctx, auth.Hash(token))
	if errors.Is(err, storage.ErrNotFound) {
		return u, errStatus(http.StatusUnauthorized, "Unauthenticated: the token is not valid.")
	}
	return u, err
}

// authenticate resolves the bearer token and the X-Workspace-Id header:
// 401 without a valid token, 403 when the user is not a member of the
// workspace (or lacks the role), so objects of other workspaces never show.
func (s *Server) authenticate(ctx context.Context, r *http.Request, need access) (principal, error) {
	user, err := s.identify(ctx, r)
	if err != nil {
		return principal{}, err
	}
	ws, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("X-Workspace-Id")), 10, 64)
	if err != nil || ws <= 0 {
		return principal{}, errStatus(http.StatusForbidden, "Forbidden: send X-Workspace-Id with the id of a workspace you belong to.")
	}
	role, err := s.db.MemberRole(ctx, ws, user.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return principal{}, errStatus(http.StatusForbidden, "Forbidden: you are not a member of this workspace.")
	}
	if err != nil {
		return principal{}, err
	}
	p := principal{UserID: user.ID, WorkspaceID: ws, Role: role}
	if need == adminOnly && !p.isAdmin() {
		return p, errStatus(http.StatusForbidden, "Forbidden: this action requires the admin role.")
	}
	return p, nil
}
