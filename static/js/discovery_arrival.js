// 报到 page: live count of ticked students.
(function () {
  var form = document.getElementById("arrival-form"), out = document.getElementById("n-arrived");
  if (!form || !out) return;
  form.addEventListener("change", function () {
    out.textContent = form.querySelectorAll("input[name=arrived]:checked").length;
  });
})();
