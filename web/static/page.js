// hoso page view: zoom without reloading, keyboard navigation
// (← → pages, n p hits, + - zoom), and the first hit brought into view.
"use strict";
(function () {
  var scan = document.getElementById("scan");
  var links = Array.prototype.slice.call(document.querySelectorAll(".zoom-link"));
  if (!scan || !links.length) {
    return;
  }
  var level = 1;
  links.forEach(function (l, i) {
    if (l.classList.contains("current")) {
      level = i + 1;
    }
  });

  function setZoom(n) {
    n = Math.max(1, Math.min(links.length, n));
    scan.classList.remove("zoom-" + level);
    scan.classList.add("zoom-" + n);
    links.forEach(function (l, i) {
      l.classList.toggle("current", i + 1 === n);
      if (i + 1 === n) {
        l.setAttribute("aria-current", "true");
      } else {
        l.removeAttribute("aria-current");
      }
    });
    level = n;
    var u = new URL(window.location.href);
    u.searchParams.set("z", String(n));
    window.history.replaceState(null, "", u.toString());
    showFirstHit();
  }

  function showFirstHit() {
    var box = document.querySelector("#hit-boxes rect");
    var wrap = document.getElementById("scan-wrap");
    if (!box || !wrap) {
      return;
    }
    var b = box.getBoundingClientRect(), w = wrap.getBoundingClientRect();
    wrap.scrollLeft += b.left - w.left - (w.width - b.width) / 2;
    wrap.scrollTop += b.top - w.top - (w.height - b.height) / 2;
  }

  links.forEach(function (l, i) {
    l.addEventListener("click", function (ev) {
      ev.preventDefault();
      setZoom(i + 1);
    });
  });

  function follow(name) {
    var a = document.querySelector('a[data-nav="' + name + '"]');
    if (a) {
      window.location.href = a.href;
    }
  }

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.altKey || ev.ctrlKey || ev.metaKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) {
      return;
    }
    switch (ev.key) {
      case "ArrowLeft": follow("prev-page"); break;
      case "ArrowRight": follow("next-page"); break;
      case "n": follow("next-hit"); break;
      case "p": follow("prev-hit"); break;
      case "+": case "=": setZoom(level + 1); break;
      case "-": setZoom(level - 1); break;
      default: return;
    }
    ev.preventDefault();
  });

  var img = document.getElementById("page-image");
  if (img && !img.complete) {
    img.addEventListener("load", showFirstHit);
  } else {
    showFirstHit();
  }
})();
