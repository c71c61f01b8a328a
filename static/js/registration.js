// Show the list of open course runs only when the board chooses to join one.
(function () {
  var choice = document.querySelectorAll('input[name="path"]');
  var cohort = document.getElementById("div_id_cohort");
  if (!choice.length || !cohort) return;
  function update() {
    var join = document.querySelector('input[name="path"]:checked');
    cohort.hidden = !(join && join.value === "join");
  }
  choice.forEach(function (input) { input.addEventListener("change", update); });
  update();
})();
