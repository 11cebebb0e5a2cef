// Sales-control board: close the unit panel (no inline handlers — the page may run under a strict CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-close-panel]")) {
    var panel = document.getElementById("unit-panel");
    if (panel) { panel.innerHTML = ""; }
  }
});
