// hoso upload form: lists the chosen files with a title field each, and
// sends the form with XMLHttpRequest to show upload progress; the server
// answers JSON (the job's page, or errors for the fields). Without this
// script the form posts normally.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var input = document.getElementById("f-file");
  var list = document.getElementById("file-list");
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var pct = document.getElementById("upload-percent");
  var general = document.getElementById("upload-error");
  var submit = document.getElementById("upload-submit");

  function size(n) {
    if (n >= 1048576) { return (n / 1048576).toFixed(1) + " MiB"; }
    return Math.ceil(n / 1024) + " KiB";
  }

  input.addEventListener("change", function () {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    Array.prototype.forEach.call(input.files, function (f, i) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "file-name";
      name.textContent = f.name + " (" + size(f.size) + ")";
      var label = document.createElement("label");
      label.htmlFor = "title-" + i;
      label.textContent = list.dataset.titleLabel || "Title";
      var title = document.createElement("input");
      title.id = "title-" + i;
      title.name = "title[" + i + "]";
      title.type = "text";
      title.placeholder = document.getElementById("f-title").value;
      li.appendChild(name);
      li.appendChild(label);
      li.appendChild(title);
      list.appendChild(li);
    });
  });

  // The files' own title fields show the common title as their default.
  document.getElementById("f-title").addEventListener("input", function (ev) {
    Array.prototype.forEach.call(list.querySelectorAll("input"), function (i) {
      i.placeholder = ev.target.value;
    });
  });

  function clearErrors() {
    general.hidden = true;
    general.textContent = "";
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (p) {
      p.hidden = true;
      p.textContent = "";
      p.parentNode.classList.remove("invalid");
    });
  }

  function showErrors(reply) {
    var shown = false;
    Object.keys(reply.errors || {}).forEach(function (field) {
      var p = document.getElementById("e-" + field);
      if (p) {
        p.textContent = reply.errors[field];
        p.hidden = false;
        p.parentNode.classList.add("invalid");
        shown = true;
      }
    });
    if (reply.error || !shown) {
      general.textContent = reply.error || form.dataset.failed;
      general.hidden = false;
    }
  }

  form.addEventListener("submit", function (ev) {
    if (!input.files.length) {
      return; // the browser's required check, or the server, says so
    }
    ev.preventDefault();
    clearErrors();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        pct.textContent = Math.floor(100 * e.loaded / e.total) + "%";
      }
    });
    xhr.addEventListener("load", function () {
      var reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = {}; }
      if (xhr.status === 200 && reply.location) {
        window.location.assign(reply.location);
        return;
      }
      if (xhr.status === 401 || xhr.status === 303) {
        window.location.assign("/login");
        return;
      }
      submit.disabled = false;
      box.hidden = true;
      showErrors(reply);
    });
    xhr.addEventListener("error", function () {
      submit.disabled = false;
      box.hidden = true;
      showErrors({ error: form.dataset.network });
    });
    submit.disabled = true;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
    bar.value = 0;
    var data = new FormData(form);
    // A file's own title left empty means the title for every file.
    Array.prototype.forEach.call(list.querySelectorAll("input"), function (i) {
      if (!i.value.trim()) {
        data.delete(i.name);
      }
    });
    xhr.send(data);
  });
})();
