package audit_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"hoso/audit"
	"hoso/storage/fs"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	store, err := fs.New(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	l, err := audit.Open(ctx, store, audit.Config{Key: []byte("from the server's config, not the store")})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close(ctx)
	// The server appends before it answers; an error means: refuse.
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	for _, e := range []audit.Entry{
		{Time: at, User: "lan", Remote: "10.0.0.7", Action: "sign-in", Target: "lan", Outcome: audit.OutcomeOK},
		{Time: at.Add(time.Minute), User: "lan", Action: "search", Outcome: audit.OutcomeOK,
			Detail: map[string]any{"query": "Nguyễn Văn An", "results": 3}},
		{Time: at.Add(2 * time.Minute), User: "lan", Action: "view", Target: "HS-0042/01.pdf/p3", Dossier: "HS-0042", Outcome: audit.OutcomeDenied},
	} {
		if _, err := l.Append(ctx, e); err != nil {
			log.Fatal(err)
		}
	}
	for e, err := range l.Entries(ctx, audit.Filter{User: "lan", Since: at.Add(time.Minute)}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Seq, e.Action, e.Target, e.Outcome, e.Detail["results"])
	}
	rep, err := l.Verify(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ok:", rep.OK(), "entries:", rep.Entries)
	// Output:
	// 2 search  ok 3
	// 3 view HS-0042/01.pdf/p3 denied <nil>
	// ok: true entries: 3
}
