// "all present": mark every participant present for that day (saved with the form).
document.addEventListener("click", function (event) {
  var button = event.target.closest(".all-present");
  if (!button) return;
  document.querySelectorAll('select[data-day="' + button.dataset.day + '"]').forEach(function (select) {
    select.value = "present";
  });
});
