package auth_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"hoso/auth"
	"hoso/domain"
	"hoso/storage/fs"
)

func Example() {
	dir, _ := os.MkdirTemp("", "hoso-auth-example")
	defer os.RemoveAll(dir)
	store, err := fs.New(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	// Cheap hashing for the example; production uses the zero value.
	svc, err := auth.New(store, auth.Config{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.AddUser(ctx, "lan.tran", auth.Reader, domain.Confidential, "một mật khẩu dài"); err != nil {
		log.Fatal(err)
	}

	// Sign in, start a session, and authorize requests with it.
	sessions := auth.NewSessions(svc)
	u, err := svc.Login(ctx, "lan.tran", "một mật khẩu dài", "192.0.2.10:51234")
	if err != nil {
		log.Fatal(err)
	}
	sess, _ := sessions.Create(u)
	s, err := sessions.Lookup(ctx, sess.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in:", s.User.Name)
	fmt.Println("may search:", s.User.Can(auth.Search), "may download:", s.User.Can(auth.Download))
	fmt.Println("sees confidential:", s.User.Allows(domain.Confidential), "sees secret:", s.User.Allows(domain.Secret))
	fmt.Println("csrf ok:", auth.CheckCSRF(s, sess.CSRF))
	// Output:
	// signed in: lan.tran
	// may search: true may download: false
	// sees confidential: true sees secret: false
	// csrf ok: true
}

func ExampleService_CreateToken() {
	dir, _ := os.MkdirTemp("", "hoso-auth-example")
	defer os.RemoveAll(dir)
	store, _ := fs.New(dir)
	defer store.Close()
	ctx := context.Background()
	svc, _ := auth.New(store, auth.Config{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}, Log: slog.New(slog.DiscardHandler)})
	svc.AddUser(ctx, "scanner", auth.Archivist, domain.Secret, "scan station password")

	secret, tok, err := svc.CreateToken(ctx, "scanner", "scan station 1")
	if err != nil {
		log.Fatal(err)
	}
	// The secret is shown once; clients send it, e.g. as a bearer token.
	u, err := svc.AuthenticateToken(ctx, secret)
	fmt.Println(u.Name, u.Can(auth.Upload), err)
	svc.RevokeToken(ctx, "scanner", tok.ID)
	_, err = svc.AuthenticateToken(ctx, secret)
	fmt.Println(err)
	// Output:
	// scanner true <nil>
	// api token: not authenticated
}
