// Package auth decides who may do what in hoso: user accounts, passwords,
// API tokens, sign-in sessions, roles with their permissions, and clearance.
// It knows nothing of HTTP; the server maps its sentinel errors to status
// codes (ErrUnauthenticated 401, ErrForbidden 403, ErrRateLimited 429 with
// Retry-After, ErrNotFound 404, ErrExists 409, ErrInvalid 400).
//
// # Threat model
//
// The archive holds personnel dossiers classified up to top-secret. auth
// defends against:
//
//   - online password guessing: Login refuses further attempts for a user
//     name, and for a remote address, after MaxFailures failures within
//     FailureWindow, without checking the password (ErrRateLimited with a
//     RetryAfter). Attempts in flight count as failures until they succeed,
//     so concurrent guesses cannot exceed the limit;
//   - user enumeration: an unknown name costs the same password hash as a
//     known one and fails with the same error;
//   - theft of the object store's users/ objects: passwords are stored only
//     as argon2id hashes (memory-hard, salted) and API tokens only as SHA-256
//     of 32 random bytes, so a copy of the store does not yield credentials;
//   - timing attacks on secrets: token hashes and CSRF tokens are compared in
//     constant time; sessions are found by the SHA-256 of their id;
//   - memory exhaustion by many parallel sign-ins: at most
//     Config.MaxConcurrentHashes argon2id hashes run at once.
//
// It does not defend against someone who can write the object store (they
// can make themselves admin) or read process memory (sessions live there).
// Authorization of a request is two checks, both required: the user's Role
// Can the Permission, and the user's clearance Allows the record's
// classification.
//
// # What is stored, what is in memory
//
// Accounts are stored in the object store, the source of truth, one JSON
// object per user at archive.UserKey(name): name, role, clearance, the
// argon2id hash in PHC form, disabled flag, API tokens (id, label, SHA-256 of
// the secret, created, revoked), created time and SessionsValidAfter. Token
// secrets and passwords are returned once, when made, and never stored.
//
// Updates are read-modify-write of that object. The store has no
// compare-and-swap beyond create-only puts, so two processes changing the
// same user at the same moment race and the last writer wins; within one
// Service updates are serialized. Account changes are rare admin actions, so
// this is accepted rather than versioning every account.
//
// In memory, per process: the failure counters of the rate limiter (a
// restart forgets them), the sessions (a restart signs everyone out, see
// Sessions), and a cache of accounts used by AuthenticateToken and
// Sessions.Lookup. A cached account is re-read from the store once it is
// older than Config.CacheTTL (default 2 s), so a revocation, disable or role
// change made by another process takes effect within that time; changes made
// through the same Service take effect at once.
package auth
