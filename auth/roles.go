package auth

import (
	"strings"

	"hoso/domain"
)

// Role is what kind of user someone is; it decides their permissions.
type Role string

// The roles.
const (
	// Admin may do everything, including managing users and reading the
	// audit log.
	Admin Role = "admin"
	// Archivist builds the archive: uploads, edits metadata, corrects OCR
	// text, runs ingest jobs, and may search, view and download.
	Archivist Role = "archivist"
	// Reader consults the archive: search and view pages on screen. Readers
	// may not download originals (see Download).
	Reader Role = "reader"
)

// Roles lists the roles, most powerful first.
var Roles = []Role{Admin, Archivist, Reader}

// ParseRole accepts a role name in any case.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", invalid("unknown role %q (want admin, archivist or reader)", s)
	}
	return r, nil
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	_, ok := grants[r]
	return ok
}

// Permission is one kind of action guarded by role.
type Permission string

// The permissions. What a record's classification allows is checked apart
// from these, with User.Allows.
const (
	Search       Permission = "search"        // run searches, see hits and snippets
	View         Permission = "view"          // see a dossier's metadata, page images and text
	Download     Permission = "download"      // fetch an original file as uploaded
	Upload       Permission = "upload"        // add dossiers and files
	EditMetadata Permission = "edit-metadata" // change a dossier's or document's metadata
	CorrectText  Permission = "correct-text"  // store a corrected text of a page
	ManageUsers  Permission = "manage-users"  // add, change, disable users; tokens of others
	ViewAudit    Permission = "view-audit"    // read the audit log
	ManageJobs   Permission = "manage-jobs"   // start, cancel and inspect ingest jobs
)

// Permissions lists every permission.
var Permissions = []Permission{Search, View, Download, Upload, EditMetadata, CorrectText, ManageUsers, ViewAudit, ManageJobs}

// grants is the role → permission table. Readers do not get Download: a
// page viewed in the application is one page, served per request and
// audited as such, while an original leaves the system whole, as a file that
// can be copied on with no further control. For dossiers up to top-secret
// that export is kept to the people who build the archive.
var grants = map[Role]map[Permission]bool{
	Admin: set(Permissions...),
	Archivist: set(Search, View, Download, Upload, EditMetadata, CorrectText,
		ManageJobs),
	Reader: set(Search, View),
}

func set(ps ...Permission) map[Permission]bool {
	m := make(map[Permission]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// Can reports whether role r has permission p. An unknown role or
// permission has none.
func (r Role) Can(p Permission) bool { return grants[r][p] }

// Can reports whether u may use permission p: u is not nil, not disabled and
// its role has p.
func (u *User) Can(p Permission) bool { return u != nil && !u.Disabled && u.Role.Can(p) }

// Allows reports whether u's clearance allows a record classified c: c is a
// valid level no higher than the clearance. A nil user allows nothing.
func (u *User) Allows(c domain.Classification) bool {
	return u != nil && u.Clearance.Allows(c)
}
