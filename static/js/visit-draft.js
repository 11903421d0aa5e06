/* Home-visit form: never lose what was typed (SPEC §5).
 *
 * - Every change is saved in localStorage under the form's data-draft-key (text fields, choices and the
 *   hidden idempotency key; photos stay in memory while the page is open).
 * - Submitting sends the form with fetch. If the network is down (or drops), the submission is queued and
 *   sent again when the browser is back online; the page must stay open for photos, the text survives a reload.
 * - The server creates at most one visit per idempotency key, so a re-send or a double tap is harmless.
 * - The visit page shown after saving carries data-clear-draft and removes the draft.
 * Vanilla JS, no dependencies (the app runs on closed networks).
 */
(function () {
  "use strict";
  var store = window.localStorage;
  var clear = document.querySelector("[data-clear-draft]");
  if (clear && store) {
    try { store.removeItem(clear.getAttribute("data-clear-draft")); } catch (e) { /* private mode */ }
  }
  var form = document.querySelector("form[data-draft-key]");
  if (!form || !store) { return; }
  var key = form.getAttribute("data-draft-key");
  var banner = document.getElementById("draft-banner");
  var buttons = form.querySelectorAll("button[type=submit]");
  var pending = null;      // FormData waiting for the network
  var sending = false;
  var retryTimer = null;

  function show(message, kind) {
    banner.className = "alert py-2 small alert-" + (kind || "info");
    banner.textContent = message;
    banner.hidden = false;
  }
  function busy(on, label) {
    Array.prototype.forEach.call(buttons, function (b) {
      if (!b.dataset.label) { b.dataset.label = b.textContent; }
      b.disabled = on;
      b.textContent = on ? label : b.dataset.label;
    });
  }
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.name !== "csrfmiddlewaretoken" && el.type !== "submit";
    });
  }
  function read() {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }
  function save(isPending) {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { (data[el.name] = data[el.name] || []).push(el.value); }
      } else {
        data[el.name] = el.value;
      }
    });
    try {
      store.setItem(key, JSON.stringify({ saved: new Date().toISOString(), pending: !!isPending, data: data }));
      return true;
    } catch (e) {
      return false;
    }
  }
  function restore(record) {
    var data = record.data || {};
    fields().forEach(function (el) {
      var value = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) >= 0;
      } else if (value !== undefined) {
        el.value = value;
      }
    });
  }
  function loginExpired(url) { return url.indexOf("/accounts/login/") >= 0; }

  function send(formData) {
    if (sending) { return; }
    sending = true;
    busy(true, "正在提交…");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST", body: formData, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      sending = false;
      if (response.redirected && loginExpired(response.url)) {
        pending = null;
        save(true);
        busy(false);
        show("登录已过期。填写的内容已保存在本机：请重新登录后回到此页，内容会自动恢复。", "warning");
        return;
      }
      if (response.redirected) {   // saved: the visit page clears the draft
        pending = null;
        window.location.assign(response.url);
        return;
      }
      // The server found a problem in the form: submit normally so its messages are shown next to the fields.
      pending = null;
      save(false);
      HTMLFormElement.prototype.submit.call(form);
    }).catch(function () {
      sending = false;
      queue(formData, "网络中断，未能提交。内容已保存在本机，网络恢复后将自动提交，请不要关闭此页面。");
    });
  }
  function queue(formData, message) {
    pending = formData;
    save(true);
    busy(true, "等待网络…");
    show(message, "warning");
    if (!retryTimer) {
      retryTimer = window.setInterval(function () {
        if (pending && navigator.onLine) { send(pending); }
      }, 15000);
    }
  }

  var existing = read();
  if (existing && existing.data) {
    restore(existing);
    if (existing.pending && navigator.onLine) {
      show("检测到上次断网时未提交的家访，正在自动提交（照片如未保存请在记录中补充）…", "info");
      send(new FormData(form));
    } else {
      show("已恢复上次未提交的内容（保存于 " + existing.saved.slice(0, 16).replace("T", " ") + "）。", "info");
    }
  }
  form.addEventListener("input", function () { save(false); });
  form.addEventListener("change", function () { save(false); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending || pending) { return; }   // a double tap sends once
    var formData = new FormData(form);
    save(false);
    if (!navigator.onLine) {
      queue(formData, "网络已断开：内容已保存在本机，网络恢复后将自动提交，请不要关闭此页面。");
      return;
    }
    send(formData);
  });
  window.addEventListener("online", function () {
    if (pending) { show("网络已恢复，正在提交…", "info"); send(pending); }
  });
  window.addEventListener("offline", function () {
    if (!pending) { show("当前离线：可以继续填写，内容会保存在本机。", "secondary"); }
  });
})();
