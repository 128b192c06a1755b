package ocr

import (
	"log/slog"
	"os"
	"syscall"
)

// ThreadLimitEnv is the variable libgomp reads for its thread limit.
const ThreadLimitEnv = "OMP_THREAD_LIMIT"

// EnsureThreadLimit makes sure OpenMP inside libtesseract runs one thread
// per recognition, so the pool's workers are the only parallelism. When
// OMP_THREAD_LIMIT is unset it sets it to 1 and re-executes the current
// binary with the same arguments (syscall.Exec: same process id, same open
// files); it returns only when the variable was already set, or when the
// re-exec failed (then it logs a warning on slog.Default and carries on).
//
// Setting the variable with os.Setenv is too late: libgomp reads it once,
// when the dynamic loader starts the program, before Go code runs. Measured
// here with two pages of a 36-line A4 fixture: os.Setenv at run time left
// 9-12 threads and 12.8 s of wall time; started with the variable set, 5
// threads and 2.4 s.
//
// Call it first thing in main and in TestMain, before any other goroutine
// does work: nothing before it survives the exec.
func EnsureThreadLimit() {
	if _, ok := os.LookupEnv(ThreadLimitEnv); ok {
		return
	}
	exe, err := os.Executable()
	if err == nil {
		env := append(os.Environ(), ThreadLimitEnv+"=1")
		err = syscall.Exec(exe, os.Args, env)
	}
	slog.Default().Warn("ocr: cannot re-execute with "+ThreadLimitEnv+"=1; set it in the environment, OCR will be slow", "err", err)
}
