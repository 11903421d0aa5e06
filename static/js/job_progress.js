/* 后台任务 page: poll the job's status every 1.5 s and update the bar (no inline script: CSP). */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var bar = document.getElementById("job-bar");
  var wrap = document.getElementById("job-progress");
  function setBar(percent) {
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    wrap.setAttribute("aria-valuenow", String(percent));
  }
  setBar(parseInt(bar.dataset.percent || "0", 10));
  if (box.dataset.active !== "1") { return; }

  var show = function (id, on) { document.getElementById(id).classList.toggle("d-none", !on); };
  var failures = 0;

  function render(s) {
    var badge = document.getElementById("job-status");
    badge.textContent = s.status_label;
    badge.className = "badge " + ({done: "bg-success", failed: "bg-danger", cancelled: "bg-secondary"}[s.status] || "bg-primary");
    setBar(s.percent);
    bar.classList.toggle("progress-bar-striped", s.active);
    bar.classList.toggle("progress-bar-animated", s.active);
    bar.classList.toggle("bg-danger", s.status === "failed");
    bar.classList.toggle("bg-secondary", s.status === "cancelled");
    document.getElementById("job-count").textContent =
      s.total ? "已处理 " + s.done + " / " + s.total : (s.done ? "已处理 " + s.done : "");
    document.getElementById("job-eta").textContent = s.eta || "";
    var msg = document.getElementById("job-message");
    msg.textContent = s.message;
    msg.classList.toggle("text-danger", s.status === "failed");
    show("job-cancel-form", s.can_cancel);
    show("job-retry-form", s.can_retry);
    show("job-download", s.has_file);
    var next = document.getElementById("job-next");
    if (s.next_url) { next.href = s.next_url; }
    show("job-next", !!s.next_url);
  }

  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        failures = 0;
        render(s);
        if (s.active) { window.setTimeout(poll, 1500); return; }
        if (s.auto_next) { window.location.assign(box.dataset.pageUrl); }  // the page goes on to the next step
      })
      .catch(function () {
        failures += 1;
        document.getElementById("job-eta").textContent = "暂时无法获取进度，正在重试…";
        window.setTimeout(poll, Math.min(10000, 1500 * failures));
      });
  }
  window.setTimeout(poll, 1000);
})();
