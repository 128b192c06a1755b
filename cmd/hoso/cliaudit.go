package main

import (
	"context"
	"fmt"

	"hoso/audit"
	"hoso/storage"
)

// cliAuditor appends the administrative actions of shell commands (hoso
// user ...) to the same audit log the server writes, with the shell user as
// the actor and "local" as the address. Its key is the server's
// (HOSO_AUDIT_KEY_FILE, or DATA/audit.key, made here when missing just as
// hoso serve makes it); a host that runs the CLI against a shared S3 store
// must point HOSO_AUDIT_KEY_FILE at the same key.
type cliAuditor struct {
	log  *audit.Log
	user string
}

func (g *globalOptions) openCLIAuditor(ctx context.Context, env *Env, store storage.Store) (*cliAuditor, error) {
	key, err := g.auditKey(env.Getenv("HOSO_AUDIT_KEY_FILE"), true)
	if err != nil {
		return nil, err
	}
	l, err := audit.Open(ctx, store, audit.Config{Key: key, ManualSeal: true, Logger: g.logger(env)})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	user := env.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return &cliAuditor{log: l, user: "cli:" + user}, nil
}

// record appends one entry; the caller performs the action only when it
// succeeds (no unaudited change).
func (a *cliAuditor) record(ctx context.Context, action, target, outcome string, detail map[string]any) error {
	_, err := a.log.Append(ctx, audit.Entry{User: a.user, Remote: "local", Action: action, Target: target, Outcome: outcome, Detail: detail})
	if err != nil {
		return fmt.Errorf("audit log: %w (nothing was changed)", err)
	}
	return nil
}

func (a *cliAuditor) Close(ctx context.Context) error { return a.log.Close(ctx) }
