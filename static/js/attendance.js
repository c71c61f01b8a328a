// "all present": mark every participant present for that day (saved with the form),
// except who notified their absence: the trainer sets them one by one if they came after all.
document.addEventListener("click", function (event) {
  var button = event.target.closest(".all-present");
  if (!button) return;
  document.querySelectorAll('select[data-day="' + button.dataset.day + '"]').forEach(function (select) {
    if (select.hasAttribute("data-notified")) return;
    select.value = "present";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
});
// A day made up asks on which other course run: the choice comes from the
// day's one list of options, so the page stays small however many runs exist.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches("select[data-cell]")) return;
  var cell = select.parentElement;
  var makeUp = cell.querySelector("select.make-up");
  if (select.value === "made_up" && !makeUp) {
    var template = document.getElementById("make-up-" + select.dataset.day);
    makeUp = template.content.firstElementChild.cloneNode(true);
    makeUp.name = "m-" + select.dataset.cell;
    select.after(makeUp);
  } else if (select.value !== "made_up" && makeUp) {
    makeUp.remove();
  }
});
