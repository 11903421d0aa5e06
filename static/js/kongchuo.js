/* Page behaviours declared in the markup with data attributes, so that no template needs an inline script or an
   inline event handler (the Content-Security-Policy allows scripts from our static files only).
     <select data-kc-autosubmit>                submit the select's form when it changes
     <form data-kc-confirm="确定…？">            ask before submitting
     <input type=checkbox data-kc-check-all=".pick">   (un)tick every matching checkbox
     <span hidden data-kc-dependent-fields data-control="id_kind" data-fields="a b"
           data-need='{"kind_value": ["a"]}'>   show fields (crispy's div_id_<name>) only for the kinds that need
                                                them; without JavaScript every field stays visible */
(function () {
  "use strict";
  document.querySelectorAll("[data-kc-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
  });
  document.querySelectorAll("form[data-kc-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.kcConfirm)) { event.preventDefault(); event.stopImmediatePropagation(); }
    });
  });
  document.querySelectorAll("input[data-kc-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll(box.dataset.kcCheckAll).forEach(function (c) { c.checked = box.checked; });
    });
  });
  document.querySelectorAll("[data-kc-dependent-fields]").forEach(function (spec) {
    var control = document.getElementById(spec.dataset.control);
    var fields = (spec.dataset.fields || "").split(/\s+/).filter(Boolean);
    var need = JSON.parse(spec.dataset.need || "{}");
    if (!control) { return; }
    function sync() {
      fields.forEach(function (name) {
        var box = document.getElementById("div_id_" + name);
        if (box) { box.hidden = (need[control.value] || []).indexOf(name) < 0; }
      });
    }
    control.addEventListener("change", sync);
    sync();
  });
})();
