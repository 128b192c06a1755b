// hoso: behaviour shared by every page. Loaded with defer; the page works
// without it.
"use strict";
(function () {
  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("submit", function (ev) {
    var b = ev.submitter;
    if (b && b.dataset.confirm && !window.confirm(b.dataset.confirm)) {
      ev.preventDefault();
    }
  });
})();
