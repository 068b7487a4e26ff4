// Progressive enhancement only: every form works without this file.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.classList && el.classList.contains("auto-submit") && el.form) {
    el.form.submit();
  }
});
