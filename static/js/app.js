/* The little JavaScript the counter needs: the PIN keypad, an idle logout on
   shared tablets, and a banner when a request fails. Everything else is htmx. */
(function () {
  "use strict";

  var banner = document.getElementById("banner");
  var showBanner = function (text) {
    if (!banner || !text) return;
    banner.textContent = text;
    banner.hidden = false;
    setTimeout(function () { banner.hidden = true; }, 6000);
  };
  // A form answered with the page of what it made (a payment's announcement, an issued invoice): the
  // address bar shows that page's own address, so that reloading it asks for the page, not the form again.
  var shownUrl = document.body.getAttribute("data-url");
  if (shownUrl && window.history && history.replaceState) history.replaceState(history.state, "", shownUrl);

  // A failed htmx request (5xx, network): say so, keep the page as it is.
  // A refusal the page cannot swap (400: a NUL or a field far too long) carries its own message: show that.
  document.body.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    var said = null;
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.responseText) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var p = doc.querySelector(".error-card p");
      said = p && p.textContent.trim();
    }
    showBanner(said || document.body.getAttribute("data-msg-error"));
  });
  document.body.addEventListener("htmx:sendError", function () {
    showBanner(document.body.getAttribute("data-msg-network"));
  });

  // A form marked data-reset-on-success empties itself after htmx posted it successfully (the scan box).
  document.body.addEventListener("htmx:afterRequest", function (ev) {
    var form = ev.detail && ev.detail.elt;
    if (form && form.hasAttribute && form.hasAttribute("data-reset-on-success") && ev.detail.successful) form.reset();
  });

  // A plain form marked data-include="<selector>" sends the values of those fields too (开单 sends the
  // line boxes on screen, which sit in the lines' own forms), as hidden copies made when it is sent.
  // One marked data-submit-once is sent once: its buttons are disabled until the answer replaces the page.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (ev.defaultPrevented || !form.hasAttribute || form.hasAttribute("hx-post")) return;
    var selector = form.getAttribute("data-include");
    if (selector) {
      form.querySelectorAll("[data-included]").forEach(function (el) { el.remove(); });
      document.querySelectorAll(selector).forEach(function (field) {
        if (!field.name || field.form === form) return;
        var copy = document.createElement("input");
        copy.type = "hidden";
        copy.name = field.name;
        copy.value = field.value;
        copy.setAttribute("data-included", "");
        form.appendChild(copy);
      });
    }
    if (form.hasAttribute("data-submit-once")) {
      if (form.getAttribute("data-sent") === "1") { ev.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });
  // Back to a page kept by the browser (bfcache): a form sent once may be sent again.
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

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

  // Quantity steppers (− / +) and fields that save themselves when changed.
  document.addEventListener("click", function (ev) {
    var step = ev.target.closest("[data-step]");
    if (!step) return;
    var box = step.closest(".stepper");
    var input = box && box.querySelector("[data-qty]");
    if (!input) return;
    var value = parseFloat(input.value || "0") || 0;
    var next = Math.max(1, Math.round(value + parseInt(step.getAttribute("data-step"), 10)));
    input.value = String(next);
    if (input.hasAttribute("data-autosubmit")) input.form.requestSubmit();
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-autosubmit") && ev.target.form) {
      ev.target.form.requestSubmit();
    }
  });

  // Discount chips: 95 % of the list price → the actual unit price (integer fen, no float money).
  document.addEventListener("click", function (ev) {
    var chip = ev.target.closest("[data-discount]");
    if (!chip) return;
    var price = chip.closest("form").querySelector("[data-price]");
    if (!price) return;
    var parts = price.getAttribute("data-list").split(".");
    var fen = parseInt(parts[0], 10) * 100 + parseInt((parts[1] || "0").padEnd(2, "0").slice(0, 2), 10);
    var pct = parseInt(chip.getAttribute("data-discount"), 10);
    var newFen = Math.floor((fen * pct + 50) / 100);
    price.value = Math.floor(newFen / 100) + "." + String(newFen % 100).padStart(2, "0");
  });

  // Camera scan (tablet): BarcodeDetector where the browser has it; otherwise say so.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-scan-camera]");
    if (!btn) return;
    var target = document.querySelector(btn.getAttribute("data-target"));
    var video = document.getElementById("scan-video");
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !video) {
      showBanner(btn.getAttribute("data-msg-unsupported"));
      return;
    }
    var detector = new window.BarcodeDetector({ formats: ["ean_13", "ean_8", "code_128", "qr_code", "upc_a"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            target.value = codes[0].rawValue;
            target.form.submit();
          } else if (!video.hidden) {
            requestAnimationFrame(tick);
          }
        }).catch(stop);
      };
      tick();
    }).catch(function () { showBanner(btn.getAttribute("data-msg-unsupported")); });
  });

  // Counting notes by denomination: − / + buttons, and the running total of the count.
  var countTotal = function (form) {
    var fen = 0;
    form.querySelectorAll("[data-count]").forEach(function (input) {
      var n = parseInt(input.value || "0", 10);
      if (n > 0) fen += n * parseInt(input.getAttribute("data-denom"), 10);
    });
    var out = form.querySelector("[data-count-total]");
    if (out) {
      var yuan = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      out.textContent = "\uffe5" + yuan + "." + String(fen % 100).padStart(2, "0");
    }
  };
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-count-step]");
    if (!btn) return;
    var input = btn.parentElement.querySelector("[data-count]");
    var n = Math.max(0, (parseInt(input.value || "0", 10) || 0) + parseInt(btn.getAttribute("data-count-step"), 10));
    input.value = n ? String(n) : "";
    var form = btn.closest("form");
    countTotal(form);
    form.dispatchEvent(new Event("count-changed", { bubbles: true }));
  });
  document.addEventListener("input", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-count")) countTotal(ev.target.closest("form"));
  });
  document.querySelectorAll("form[data-count-form]").forEach(countTotal);

  // 唱收唱找: the tablet says the announcement (zh-CN), unless the cashier turned it off.
  var speakEl = document.querySelector("[data-speak]");
  if (speakEl) {
    var toggle = document.querySelector("[data-speak-toggle]");
    if (toggle) {
      toggle.checked = localStorage.getItem("pos-speak") !== "off";
      toggle.addEventListener("change", function () { localStorage.setItem("pos-speak", toggle.checked ? "on" : "off"); });
    }
    var say = function () {
      if (!("speechSynthesis" in window) || (toggle && !toggle.checked)) return;
      var u = new SpeechSynthesisUtterance(speakEl.getAttribute("data-speak"));
      // the shop's language (setting), not the cashier's: the customer hears it
      u.lang = speakEl.getAttribute("data-speak-lang") || "zh-CN";
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(u);
    };
    var again = document.querySelector("[data-speak-again]");
    if (again) again.addEventListener("click", function () { if (toggle) toggle.checked = true; say(); });
    say();
  }

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

})();
