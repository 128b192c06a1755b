package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "ingest", "pages", 10)
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }
	b.start = now
	b.SetPlain(time.Second)
	b.SetExtra(func() string { return "1 failed" })
	b.Add(3) // first tick prints (last is zero)
	now = now.Add(500 * time.Millisecond)
	b.Add(1) // within interval: no line
	now = now.Add(time.Second)
	b.Add(1)
	b.Done()
	b.Add(1) // after Done: nothing
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "3/10 pages") || !strings.Contains(lines[0], "1 failed") {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(lines[2], "5/10 pages") || !strings.Contains(lines[2], "ETA") {
		t.Errorf("last line %q", lines[2])
	}
}
