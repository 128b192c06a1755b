package fs

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"hoso/storage"
)

// On-disk format of one object file:
//
//	[content: size bytes][trailer JSON][JSON length: 8 bytes big-endian][magic: 8 bytes]
//
// The content starts at offset 0, so Get serves it with an io.SectionReader.
// The trailer is written after the content, before the fsync and the rename
// that publish the file, so a published file always has one; a file whose
// footer or trailer does not parse, or whose lengths do not add up, is
// corrupt and reported as storage.ErrChecksum.
const (
	magic      = "HOSOOBJ1"
	footerLen  = 16
	maxTrailer = 64 << 10 // a trailer is ~150 bytes; anything near this is garbage
	readAhead  = 4 << 10  // one pread at the end of the file usually gets the whole trailer
)

// trailer is the metadata stored after the content.
type trailer struct {
	Version     int    `json:"v"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// appendTrailer returns the bytes to write after the content.
func appendTrailer(t trailer) ([]byte, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var foot [footerLen]byte
	binary.BigEndian.PutUint64(foot[:8], uint64(len(b)))
	copy(foot[8:], magic)
	return append(b, foot[:]...), nil
}

// readTrailer reads and checks the trailer of an object file of fileSize
// bytes. Errors wrap storage.ErrChecksum when the file is not a well-formed
// object.
func readTrailer(f io.ReaderAt, key string, fileSize int64) (trailer, error) {
	corrupt := func(why string) (trailer, error) {
		return trailer{}, fmt.Errorf("%w: %s: corrupt object file: %s", storage.ErrChecksum, key, why)
	}
	if fileSize < footerLen {
		return corrupt("too short for a trailer")
	}
	n := min(fileSize, readAhead)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, fileSize-n); err != nil {
		return trailer{}, fmt.Errorf("read trailer of %s: %w", key, err)
	}
	foot := buf[n-footerLen:]
	if string(foot[8:]) != magic {
		return corrupt("bad magic")
	}
	jl := binary.BigEndian.Uint64(foot[:8])
	if jl > maxTrailer || int64(jl) > fileSize-footerLen {
		return corrupt("bad trailer length")
	}
	var js []byte
	if int64(jl)+footerLen <= n {
		js = buf[n-footerLen-int64(jl) : n-footerLen]
	} else {
		js = make([]byte, jl)
		if _, err := f.ReadAt(js, fileSize-footerLen-int64(jl)); err != nil {
			return trailer{}, fmt.Errorf("read trailer of %s: %w", key, err)
		}
	}
	var t trailer
	if err := json.Unmarshal(js, &t); err != nil {
		return corrupt("trailer: " + err.Error())
	}
	if t.Version != 1 {
		return corrupt(fmt.Sprintf("unknown version %d", t.Version))
	}
	if !storage.ValidSHA256(t.SHA256) {
		return corrupt("bad sha256 in trailer")
	}
	if t.Size < 0 || t.Size+int64(jl)+footerLen != fileSize {
		return corrupt(fmt.Sprintf("recorded size %d does not fit file size %d", t.Size, fileSize))
	}
	return t, nil
}

// statFile returns the info of the open object file f.
func statFile(f *os.File, key string) (storage.ObjectInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, storage.ErrNotExist)
	}
	t, err := readTrailer(f, key, fi.Size())
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return storage.ObjectInfo{
		Key:         key,
		Size:        t.Size,
		SHA256:      t.SHA256,
		ContentType: t.ContentType,
		Modified:    fi.ModTime(),
	}, nil
}
