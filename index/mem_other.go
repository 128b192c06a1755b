//go:build !linux

package index

// physicalMemory is the machine's memory in bytes (0: unknown).
func physicalMemory() uint64 { return 0 }
