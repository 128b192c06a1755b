// Package web is hoso's server-rendered web page: sign-in, search, the
// person, dossier and page views, upload, the review queue, jobs, and the
// admin pages (users, API tokens, audit log).
//
// It presents and does nothing else: every read and change goes through
// server.App, which checks role and clearance and writes the audit log, so
// the page shows exactly what the JSON API would (a record above the
// user's clearance is "not found" here too, byte for byte the same page as
// a missing one). Pages are mounted on the server.Server with Server.Handle,
// behind its security headers and metrics; sign-in and the CSRF check of
// forms go through Server.FormActor.
//
// # Pages
//
//	/login, /logout, /lang            sign-in (rate-limit message), sign-out, language (cookie)
//	/search                           one box, results grouped by dossier, facets, paging, sort
//	/person?name=&born=               every dossier and document of one person on a timeline
//	/dossiers/{code}                  metadata, documents, page thumbnails
//	/dossiers/{code}/{doc}/{n}        the scan with the hits boxed, the text with them marked
//	/dossiers/{code}/{doc}/{n}/correct  edit the text of a page (archivists)
//	/upload, /dossiers/{code}/upload  new dossier; add documents (upload progress)
//	/review                           low-confidence pages, lowest first
//	/jobs, /jobs/{id}                 ingest jobs; a running job's progress is polled
//	/admin/users, /admin/audit        accounts and the audit log (admins)
//	/tokens                           the user's API tokens
//
// # Templates, scripts, strings
//
// Templates (html/template), the style sheet and the scripts are embedded
// (embed.FS); there is no build step. The Content-Security-Policy allows
// scripts and styles only from the page's own origin and no inline script
// or style attributes, so positions are never written into style
// attributes: hit boxes are SVG rectangles whose x, y, width and height are
// percentages of the page image, which the browser scales with the image.
// Every page works without JavaScript; the small scripts add upload
// progress, job polling, zoom without reloading and keyboard navigation.
//
// Interface text is Vietnamese by default, English by choice (a cookie).
// All strings are in one table per language (i18n_vi.go, i18n_en.go), and
// a test checks that both tables have the same keys and that every key the
// templates use exists.
package web
