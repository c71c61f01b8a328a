// "all present": mark every participant present for that day (saved with the form).
document.addEventListener("click", function (event) {
  var button = event.target.closest(".all-present");
  if (!button) return;
  document.querySelectorAll('select[data-day="' + button.dataset.day + '"]').forEach(function (select) {
    select.value = "present";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
});
// The choice of the other course run shows only for a day made up.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches("select[data-day]")) return;
  var makeUp = select.parentElement.querySelector("select.make-up");
  if (makeUp) makeUp.hidden = select.value !== "made_up";
});
