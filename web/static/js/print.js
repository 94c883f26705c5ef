/* A printable page's print button (the receipt of a request taken in for a resident): shown once this script
   runs, it opens the browser's print dialog. No inline script: the CSP forbids it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
