/* Disable a form's submit button after the first submit (the server also refuses duplicates). */
(function () {
  "use strict";
  document.querySelectorAll("form.kc-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit][data-once]").forEach(function (button) {
        button.disabled = true;
        button.dataset.label = button.textContent;
        button.textContent = "正在提交…";
      });
    });
  });
  window.addEventListener("pageshow", function () {  // back button: enable again
    document.querySelectorAll("button[data-once][disabled]").forEach(function (button) {
      button.disabled = false;
      if (button.dataset.label) { button.textContent = button.dataset.label; }
    });
  });
})();
