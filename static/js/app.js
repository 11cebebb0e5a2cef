/* The little JavaScript the counter needs: the PIN keypad, an idle logout on
   shared tablets, and a banner when a request fails. Everything else is htmx. */
(function () {
  "use strict";

  // PIN keypad: buttons type into the PIN field of their form.
  document.addEventListener("click", function (ev) {
    var key = ev.target.closest("[data-key]");
    if (!key) return;
    var form = key.closest("form");
    var input = form && form.querySelector("[data-pin]");
    if (!input) return;
    var k = key.getAttribute("data-key");
    if (k === "clear") input.value = "";
    else if (k === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < (input.maxLength > 0 ? input.maxLength : 6)) input.value += k;
    input.focus();
  });

  // Idle logout: after N minutes without a touch, the tablet returns to the name tiles.
  var idleMinutes = parseInt(document.body.getAttribute("data-idle-minutes") || "0", 10);
  if (idleMinutes > 0) {
    var timer = null;
    var reset = function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () {
        var form = document.getElementById("logout-form");
        if (form) form.submit();
      }, idleMinutes * 60 * 1000);
    };
    ["click", "keydown", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    reset();
  }

  // A failed htmx request (5xx, network): say so, keep the page as it is.
  var banner = document.getElementById("banner");
  var showBanner = function (text) {
    if (!banner) return;
    banner.textContent = text;
    banner.hidden = false;
    setTimeout(function () { banner.hidden = true; }, 6000);
  };
  document.body.addEventListener("htmx:responseError", function () {
    showBanner(document.body.getAttribute("data-msg-error"));
  });
  document.body.addEventListener("htmx:sendError", function () {
    showBanner(document.body.getAttribute("data-msg-network"));
  });
})();
