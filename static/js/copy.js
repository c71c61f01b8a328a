// Copy a text field's contents with one click: <button data-copy="id-of-the-field" data-copied="Copied">.
// The clipboard keeps the text as typed, so a register number keeps its leading zeros all the way to PE-online.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("aria-describedby"));
  function done(message) {
    if (status) {
      status.textContent = message;
    }
  }
  function fallback() {
    // Without the asynchronous clipboard (an address without https): select the text and copy that.
    field.focus();
    field.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    done(button.getAttribute(copied ? "data-copied" : "data-failed"));
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () {
      done(button.getAttribute("data-copied"));
    }, fallback);
  } else {
    fallback();
  }
});
