// Roll-call page: live counts and row colours; nothing here is needed for the form to work.
(function () {
  var form = document.getElementById("rollcall-form");
  if (!form) return;
  var present = document.getElementById("n-present");
  var absent = document.getElementById("n-absent");
  function refresh() {
    var p = 0, a = 0;
    form.querySelectorAll("[data-student]").forEach(function (row) {
      var checked = row.querySelector("input[type=radio]:checked");
      var value = checked ? checked.value : "";
      row.classList.toggle("rollcall-row-absent", value === "sick" || value === "personal");
      row.classList.toggle("rollcall-row-unexcused", value === "unexcused");
      if (value) { a += 1; } else { p += 1; }
    });
    if (present) present.textContent = p;
    if (absent) absent.textContent = a;
  }
  form.addEventListener("change", refresh);
  var allPresent = document.getElementById("all-present");
  if (allPresent) {
    allPresent.addEventListener("click", function () {
      form.querySelectorAll("input[type=radio][value='']").forEach(function (r) { r.checked = true; });
      refresh();
    });
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = "正在保存…"; }
  });
  refresh();
})();
