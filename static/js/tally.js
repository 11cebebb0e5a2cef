/* The payment screen's running total (数 · 验), computed here from what is typed — no request on
   each change. The server adds it all up again when 确认收款 is tapped (services.tally) and refuses
   what does not add up; this only shows the cashier the same figures and the same first problem as
   the server would (cashier/_tally.html, whose rows it fills in).
   Money is integer fen throughout: "12.34" is 1234, never a float. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-tally-form]");
  var box = document.getElementById("tally");
  if (!form || !box) return;

  var DENOMS = [10000, 5000, 2000, 1000, 500, 100, 50, 10];
  var KINDS = ["card", "wechat", "alipay", "cheque"];
  var MAX_COUNT = 10000;
  var SENTINEL_N = "900000001", SENTINEL_C = "900000002";  // %(n)d / %(c)d in the translated messages
  var due = parseInt(form.getAttribute("data-due-fen"), 10);
  var maxCash = parseInt(form.getAttribute("data-max-cash-fen"), 10);

  function msg(name, values) {
    var text = form.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { text = text.split(key).join(values[key]); });
    return text;
  }

  // "１２．５" → "12.5" (full-width digits and point, as pos.text.plain does for them)
  function plain(text) {
    return String(text || "").replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/\uff0e/g, ".").trim();
  }

  function money(fen) {
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var yuan = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "\uffe5" + yuan + "." + String(fen % 100).padStart(2, "0");
  }

  // What the person typed → fen, or null when it is not a plain amount with at most two decimals
  // (as pos.money.parse_money: "1,680.00", "￥12", "-5" parse; "1.234", "abc" do not).
  function toFen(raw) {
    var text = plain(raw).replace(/[,\uff0c]/g, "").replace(/^[\uffe5\u00a5]+/, "").trim();
    var m = /^([+-]?)(\d*)(?:\.(\d{0,2}))?$/.exec(text);
    if (!m || (m[2] === "" && !m[3])) return null;
    if (m[2].length > 13) return null;
    var fen = parseInt(m[2] || "0", 10) * 100 + parseInt(((m[3] || "") + "00").slice(0, 2), 10);
    return m[1] === "-" ? -fen : fen;
  }

  function field(name) {
    var el = form.elements.namedItem(name);
    return el ? el.value : "";
  }

  function Problem(text) { this.text = text; }

  // a count box: empty is 0; a whole number up to MAX_COUNT (pos.forms.CountField)
  function count(raw) {
    var text = plain(raw);
    if (!text) return 0;
    if (!/^\d+$/.test(text)) throw new Problem(msg("count", { "{value}": text.slice(0, 10) }));
    var n = parseInt(text, 10);
    if (n > MAX_COUNT) throw new Problem(msg("too-many", { [SENTINEL_N]: String(n) }));
    return n;
  }

  function tally() {
    var t = { cash: 0, rejected: 0, other: 0, received: 0, change: 0, short: due, problem: null };
    var counts = {}, counted = false;
    DENOMS.forEach(function (d) {
      var n = count(field("count_" + d));
      if (n) { counts[d] = n; counted = true; }
    });
    var rejected = 0;
    DENOMS.forEach(function (d) {
      var n = count(field("rej_" + d));
      if (counted && n > (counts[d] || 0)) {
        throw new Problem(msg("rejected-more", { [SENTINEL_N]: String(n), "{d}": money(d),
                                                 [SENTINEL_C]: String(counts[d] || 0) }));
      }
      rejected += n * d;
    });
    var typed = field("cash_amount").trim();
    if (typed) {
      if (counted) throw new Problem(msg("both"));
      var fen = toFen(typed);
      if (fen === null) throw new Problem(msg("amount", { "{value}": typed.slice(0, 20) }));
      if (fen < 0) throw new Problem(msg("negative"));
      t.cash = fen;
    } else {
      DENOMS.forEach(function (d) { t.cash += (counts[d] || 0) * d; });
    }
    if (t.cash > maxCash) throw new Problem(msg("max-cash", { "{cash}": money(t.cash), "{max}": money(maxCash) }));
    if (rejected > t.cash) throw new Problem(msg("rejected-cash"));
    t.rejected = rejected;
    KINDS.forEach(function (kind) {
      var raw = field(kind + "_amount").trim();
      if (!raw) return;
      var fen = toFen(raw);
      if (fen === null) throw new Problem(msg("amount", { "{value}": raw.slice(0, 20) }));
      if (fen <= 0) throw new Problem(msg("positive"));
      var ref = field(kind + "_ref").trim();
      if (kind === "card" && !ref) throw new Problem(msg("card-ref"));
      if ((kind === "wechat" || kind === "alipay") && !ref) throw new Problem(msg("transfer-ref"));
      if (kind === "cheque") {
        if (!ref) throw new Problem(msg("cheque-no"));
        if (!field("cheque_bank").trim() || !field("cheque_drawer").trim()) throw new Problem(msg("cheque-bank"));
      }
      t.other += fen;
    });
    if (t.other > due) t.problem = msg("other-over", { "{other}": money(t.other), "{due}": money(due) });
    t.received = t.cash - t.rejected + t.other;
    t.change = t.received >= due ? t.received - due : 0;
    t.short = t.received >= due ? 0 : due - t.received;
    return t;
  }

  function show() {
    var t;
    try {
      t = tally();
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      // as the server answered a refused tally: nothing counted, all of it still due, and why
      t = { cash: 0, rejected: 0, other: 0, received: 0, change: 0, short: due, problem: e.text };
    }
    var set = function (name, text) { box.querySelector('[data-tally="' + name + '"]').textContent = text; };
    var row = function (name, shown) { box.querySelector('[data-tally-row="' + name + '"]').hidden = !shown; };
    set("cash", money(t.cash));
    set("rejected", "\u2212" + money(t.rejected));
    set("other", money(t.other));
    set("received", money(t.received));
    set("short", money(t.short));
    set("change", money(t.change));
    row("rejected", t.rejected > 0);
    row("other", t.other > 0);
    row("short", t.short > 0);
    row("change", !(t.short > 0));
    var holder = box.querySelector("[data-tally-error]");
    holder.textContent = "";
    if (t.problem) {
      var div = document.createElement("div");
      div.className = "errors tally-error";
      div.setAttribute("role", "alert");
      var p = document.createElement("p");
      p.textContent = t.problem;
      div.appendChild(p);
      holder.appendChild(div);
    }
  }

  ["input", "change", "count-changed"].forEach(function (name) { form.addEventListener(name, show); });
  // the page came back from the server with what was typed (a refused payment): its figures stand
})();
