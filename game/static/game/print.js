// The login cards' "Print" button. A static file, not an onclick attribute: the Content-Security-Policy
// allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
