package server_test

import (
	"errors"
	"fmt"

	"hoso/server"
)

func ExampleSafeFilename() {
	fmt.Println(server.SafeFilename(`C:\scans\"hồ sơ" 01.pdf`, "original"))
	fmt.Println(server.SafeFilename("../../etc/passwd", "original"))
	fmt.Println(server.SafeFilename("..", "original"))
	// Output:
	// hồ sơ 01.pdf
	// passwd
	// original
}

func ExampleHTTPError() {
	// A record above the user's clearance and a missing one answer alike.
	status, code, msg := server.HTTPError(fmt.Errorf("dossier HS-1: %w", server.ErrNotFound))
	fmt.Println(status, code, msg)
	status, code, _ = server.HTTPError(server.ErrAudit)
	fmt.Println(status, code)
	status, code, _ = server.HTTPError(errors.New("disk on fire"))
	fmt.Println(status, code)
	// Output:
	// 404 not_found no such record
	// 503 audit_unavailable
	// 500 internal
}
