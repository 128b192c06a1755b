// hoso job page: polls the job's status until it ends, then reloads the
// page to show the outcome. Without scripts the page refreshes itself.
"use strict";
(function () {
  var job = document.getElementById("job");
  if (!job || job.dataset.final === "true") {
    return;
  }
  var bar = document.getElementById("job-bar");
  var text = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var url = "/jobs/" + encodeURIComponent(job.dataset.id) + "/status";

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        bar.max = Math.max(1, s.pages_total);
        bar.value = s.pages_done;
        text.textContent = s.progress;
        state.textContent = s.state_text;
        state.className = "state state-" + s.state;
        if (s.final) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 2000); // every poll is audited: not too often
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
