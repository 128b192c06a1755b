package server

import (
	"net/http"

	"hoso/auth"
)

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Label string `json:"label"`
}

// TokenList is the body of GET /api/v1/tokens.
type TokenList struct {
	Tokens []auth.Token `json:"tokens"`
}

// UserList is the body of GET /api/v1/users.
type UserList struct {
	Users []*auth.User `json:"users"`
}

func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.app.Tokens(r.Context(), actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, TokenList{Tokens: ts})
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.app.CreateToken(r.Context(), actor(r), req.Label)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handleRevokeOwnToken(w http.ResponseWriter, r *http.Request) {
	who := actor(r)
	if err := s.app.RevokeToken(r.Context(), who, who.name(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.app.RevokeToken(r.Context(), actor(r), r.PathValue("name"), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.app.Users(r.Context(), actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, UserList{Users: us})
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var nu NewUser
	if err := s.decodeJSON(w, r, &nu); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.app.CreateUser(r.Context(), actor(r), nu)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	var p UserPatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.app.UpdateUser(r.Context(), actor(r), r.PathValue("name"), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
