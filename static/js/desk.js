/* The cash desk's and the manager's dialogs, in the page (no native confirm()):
   - a form with data-confirm="<dialog id>" asks in that <dialog> before it is sent (closing a shift,
     signing off a day: the dialog says what will be frozen);
   - "拒收一张" on a denomination asks why one note is refused, then counts it as refused. */
(function () {
  "use strict";

  // ---- confirm an irreversible form in a <dialog>
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var id = form.getAttribute && form.getAttribute("data-confirm");
    if (!id || form.getAttribute("data-confirmed") === "1") return;
    var dialog = document.getElementById(id);
    if (!dialog || typeof dialog.showModal !== "function") return;  // no <dialog>: the form goes as it is
    ev.preventDefault();
    ev.stopPropagation();
    dialog.querySelectorAll("[data-confirm-copy]").forEach(function (el) {  // live figures, e.g. the count
      var source = form.querySelector(el.getAttribute("data-confirm-copy"));
      if (source) el.textContent = source.textContent;
    });
    dialog.showModal();
  }, true);
  document.addEventListener("click", function (ev) {
    var yes = ev.target.closest("[data-confirm-yes]");
    var no = ev.target.closest("[data-confirm-no]");
    if (!yes && !no) return;
    ev.preventDefault();
    var dialog = (yes || no).closest("dialog");
    dialog.close();
    if (yes) {
      var form = document.querySelector('form[data-confirm="' + dialog.id + '"]');
      form.setAttribute("data-confirmed", "1");
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });

  // ---- 拒收一张: one refused note, with its reason (and serial number if typed)
  var rejectDialog = document.getElementById("reject-dialog");
  var rejectRow = null;
  var show = function (row) {
    var n = parseInt(row.querySelector("[data-reject-count]").value || "0", 10) || 0;
    var mark = row.querySelector("[data-reject-mark]");
    mark.hidden = n <= 0;
    row.querySelector("[data-reject-n]").textContent = String(n);
  };
  var changed = function (row) {
    show(row);
    var form = row.closest("form");
    form.dispatchEvent(new Event("count-changed", { bubbles: true }));  // the running total follows
  };
  document.addEventListener("click", function (ev) {
    var open = ev.target.closest("[data-reject-open]");
    if (open && rejectDialog) {
      rejectRow = open.closest("[data-reject-row]");
      rejectDialog.querySelector("[data-reject-label]").textContent = open.getAttribute("data-denom-label");
      rejectDialog.querySelector("[data-reject-serial]").value = "";
      rejectDialog.showModal();
      return;
    }
    var reason = ev.target.closest("[data-reject-reason]");
    if (reason && rejectRow) {
      ev.preventDefault();
      var count = rejectRow.querySelector("[data-reject-count]");
      count.value = String((parseInt(count.value || "0", 10) || 0) + 1);
      rejectRow.querySelector("[data-reject-reason-value]").value = reason.getAttribute("data-reject-reason");
      var serial = rejectDialog.querySelector("[data-reject-serial]").value.trim();
      var serials = rejectRow.closest("form").querySelector("[data-reject-serials]");
      if (serial && serials) serials.value = serials.value ? serials.value + "," + serial : serial;
      rejectDialog.close();
      changed(rejectRow);
      rejectRow = null;
      return;
    }
    var undo = ev.target.closest("[data-reject-undo]");
    if (undo) {
      var row = undo.closest("[data-reject-row]");
      var c = row.querySelector("[data-reject-count]");
      var n = Math.max(0, (parseInt(c.value || "0", 10) || 0) - 1);
      c.value = n ? String(n) : "";
      changed(row);
    }
  });
})();
