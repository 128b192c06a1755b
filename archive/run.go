package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hoso/domain"
	"hoso/storage"
)

// Run records that every page of an original was processed with one set of
// settings: the page summaries, with their image and text keys. It is
// written after all of its pages' objects, so finding it means a later
// ingest of the same bytes with the same settings needs no decoding and no
// OCR at all.
type Run struct {
	Schema     int           `json:"schema"`
	SHA256     string        `json:"sha256"`
	SettingsID string        `json:"settings_id"`
	Pages      []domain.Page `json:"pages"`
	CreatedAt  time.Time     `json:"created_at"`
}

// PutRun stores r, create-only (an existing identical record is kept).
func (a *Archive) PutRun(ctx context.Context, r *Run) error {
	if !storage.ValidSHA256(r.SHA256) || !ValidTextID(r.SettingsID) {
		return fmt.Errorf("put run: bad sha256 %q or settings id %q", r.SHA256, r.SettingsID)
	}
	r.Schema = domain.SchemaVersion
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	key := RunKey(r.SHA256, r.SettingsID)
	_, err = storage.PutBytes(ctx, a.store, key, b, storage.PutOptions{ContentType: "application/json"})
	if err != nil {
		return fmt.Errorf("put run %s: %w", key, err)
	}
	return nil
}

// LoadRun reads the run record for an original and settings id. It returns
// (nil, nil) when there is none.
func (a *Archive) LoadRun(ctx context.Context, sha, settingsID string) (*Run, error) {
	var r Run
	err := a.getJSON(ctx, RunKey(sha, settingsID), &r)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}
