/* The order form: 接口获取 dialog, template import, and progress of the background jobs.
 *
 * Both ways of adding houses first save the form (so a new order gets its number and the typed
 * fields are kept), then start a job on the server and poll its progress until it ends; the page
 * never waits on a long request. When a job has added houses the page reloads to list them. */
(function () {
  "use strict";

  var page = document.getElementById("jm-order-page");
  if (!page) { return; }
  var form = document.getElementById("jm-order-form");
  var data = page.dataset;
  var orderId = data.orderId || "";
  var POLL_MS = 700;

  function urlFor(template, id) { return template.replace(/\/0(\/|$|\?)/, "/" + id + "$1"); }

  function headers(extra) {
    var h = { "X-CSRFToken": data.csrf, "X-Requested-With": "fetch", "Accept": "application/json" };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function showErrors(body) {
    var box = document.getElementById("jm-ajax-errors");
    var html = "<strong>" + escapeHtml(body.message || data.msgError) + "</strong>";
    var problems = body.problems || [];
    if (problems.length) {
      html += "<ul>" + problems.slice(0, 50).map(function (p) {
        var where = p.row ? p.row + " " + p.field : p.field;
        return "<li>" + escapeHtml(where) + ": " + escapeHtml(p.reason) + "</li>";
      }).join("") + "</ul>";
    }
    box.innerHTML = html;
    box.classList.remove("hidden");
    box.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  function readJson(response) {
    return response.json().catch(function () { return { message: data.msgError }; })
      .then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
  }

  /* Save the form as a draft (creating the order if needed); resolves with the order id. */
  function ensureSaved() {
    setProgress(0, 0, data.msgSaving);
    // form.action would be the buttons named "action": read the attribute itself.
    return fetch(form.getAttribute("action"), { method: "POST", body: new FormData(form), headers: headers(),
                                credentials: "same-origin" })
      .then(readJson)
      .then(function (r) {
        if (!r.ok) { hideProgress(); showErrors(r.body); throw new Error("save refused"); }
        orderId = String(r.body.id);
        page.dataset.orderId = orderId;
        form.setAttribute("action", r.body.edit_url);
        document.getElementById("jm-version").value = r.body.version;
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", r.body.edit_url);
        }
        return orderId;
      });
  }

  /* ---------------------------------------------------------------- progress */

  var progress = document.getElementById("jm-progress");
  var bar = document.getElementById("jm-progress-bar");
  var text = document.getElementById("jm-progress-text");
  var result = document.getElementById("jm-job-result");

  function setProgress(done, total, message) {
    progress.classList.remove("hidden");
    result.innerHTML = "";
    var percent = total ? Math.round(100 * done / total) : 5;
    bar.style.width = Math.max(percent, 5) + "%";
    bar.classList.add("active");
    bar.classList.remove("progress-bar-danger", "progress-bar-success");
    text.textContent = message || "";
  }

  function hideProgress() { progress.classList.add("hidden"); }

  function setBusy(busy) {
    ["jm-trade-open", "jm-import-open", "jm-save", "jm-save-submit"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.disabled = busy; }
    });
  }

  function finished(job) {
    bar.classList.remove("active");
    bar.style.width = "100%";
    text.textContent = job.message;
    if (job.state === "done") {
      bar.classList.add("progress-bar-success");
      window.location.href = urlFor(data.editUrl, job.order_id) + "#lines";
      window.location.reload();
      return;
    }
    bar.classList.add("progress-bar-danger");
    var html = "";
    if (job.marked_url) {
      html += '<p><a class="btn btn-warning btn-xs" id="jm-marked-copy" href="' + job.marked_url + '">' +
        escapeHtml(data.msgMarked) + "</a></p>";
    }
    if (job.problems && job.problems.length) {
      html += '<div class="jm-job-problems"><table class="table table-condensed table-bordered" id="jm-job-problems">' +
        job.problems.map(function (p) {
          return "<tr><td>" + escapeHtml(p.row || "") + "</td><td>" + escapeHtml(p.field) +
            "</td><td>" + escapeHtml(p.value || "") + "</td><td>" + escapeHtml(p.reason) + "</td></tr>";
        }).join("") + "</table></div>";
    }
    result.innerHTML = html;
    setBusy(false);
  }

  function poll(job) {
    if (job.state !== "running") { finished(job); return; }
    setProgress(job.done, job.total, job.message || data.msgStarting);
    window.setTimeout(function () {
      fetch(urlFor(data.jobUrl, job.id), { headers: headers(), credentials: "same-origin" })
        .then(readJson)
        .then(function (r) {
          if (!r.ok) { showErrors(r.body); setBusy(false); return; }
          if (r.body.marked_url) { job.marked_url = r.body.marked_url; }
          poll(r.body);
        })
        .catch(function () { showErrors({}); setBusy(false); });
    }, POLL_MS);
  }

  function startJob(url, options) {
    return fetch(url, options).then(readJson).then(function (r) {
      if (!r.ok) { hideProgress(); showErrors(r.body); setBusy(false); return; }
      poll(r.body);
    });
  }

  /* ---------------------------------------------------------------- import */

  var fileInput = document.getElementById("jm-import-file");
  document.getElementById("jm-import-open").addEventListener("click", function () {
    fileInput.value = "";
    fileInput.click();
  });
  fileInput.addEventListener("change", function () {
    if (!fileInput.files.length) { return; }
    var file = fileInput.files[0];
    setBusy(true);
    ensureSaved().then(function (id) {
      var body = new FormData();
      body.append("file", file, file.name);
      setProgress(0, 0, data.msgStarting);
      return startJob(urlFor(data.importUrl, id),
                      { method: "POST", body: body, headers: headers(), credentials: "same-origin" });
    }).catch(function () { setBusy(false); });
  });

  /* ---------------------------------------------------------------- 接口获取 */

  var tableBody = document.querySelector("#jm-trade-table tbody");
  var status = document.getElementById("jm-trade-status");

  function searchProjects() {
    status.textContent = "…";
    tableBody.innerHTML = "";
    var q = document.getElementById("jm-trade-query").value || "";
    fetch(data.projectsUrl + "?q=" + encodeURIComponent(q), { headers: headers(), credentials: "same-origin" })
      .then(readJson)
      .then(function (r) {
        if (!r.ok) { status.textContent = r.body.message || data.msgError; return; }
        var items = r.body.items || [];
        status.textContent = items.length ? "" : data.msgNoprojects;
        tableBody.innerHTML = items.map(function (p) {
          // "taken" names the area or the unfinished order that already has the project.
          var note = p.taken ? '<br><span class="label label-default">' + escapeHtml(p.taken) + "</span>" : "";
          return '<tr><td><input type="checkbox" class="jm-project-check" value="' + escapeHtml(p.project_id) +
            '"></td><td>' + escapeHtml(p.name) + note + '<br><small class="text-muted">' + escapeHtml(p.project_id) +
            "</small></td><td>" + escapeHtml(p.address) + "</td><td>" + escapeHtml(p.presale_permit_no) +
            "</td><td>" + p.building_count + "</td><td>" + p.house_count + "</td></tr>";
        }).join("");
      })
      .catch(function () { status.textContent = data.msgError; });
  }

  document.getElementById("jm-trade-open").addEventListener("click", function () {
    window.jQuery("#jm-trade-modal").modal("show");
    searchProjects();
  });
  document.getElementById("jm-trade-search").addEventListener("click", searchProjects);
  document.getElementById("jm-trade-query").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); searchProjects(); }
  });
  document.getElementById("jm-trade-ok").addEventListener("click", function () {
    var ids = Array.prototype.map.call(document.querySelectorAll(".jm-project-check:checked"),
                                       function (box) { return box.value; });
    if (!ids.length) { status.textContent = data.msgChoose; return; }
    window.jQuery("#jm-trade-modal").modal("hide");
    setBusy(true);
    ensureSaved().then(function (id) {
      setProgress(0, ids.length + 2, data.msgStarting);
      return startJob(urlFor(data.fetchUrl, id), {
        method: "POST", credentials: "same-origin",
        headers: headers({ "Content-Type": "application/json" }),
        body: JSON.stringify({ project_ids: ids })
      });
    }).catch(function () { setBusy(false); });
  });

  /* ---------------------------------------------------------------- line selection */

  var all = document.getElementById("jm-select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll(".jm-line-check").forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
