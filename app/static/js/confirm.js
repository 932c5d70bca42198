/* Confirmation before a dangerous click or submit: <button data-jm-confirm="Sure?"> or
   <form data-jm-confirm="Sure?">. Replaces inline onclick/onsubmit, which the CSP forbids. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var element = event.target.closest ? event.target.closest("[data-jm-confirm]:not(form)") : null;
    if (element && !window.confirm(element.getAttribute("data-jm-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-jm-confirm") &&
        !window.confirm(form.getAttribute("data-jm-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
