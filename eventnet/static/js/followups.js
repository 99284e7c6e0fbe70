/* The follow-ups page: its counts and failures follow the send as it goes (polling). */
(function () {
  var box = document.getElementById("followup-progress");
  if (!box || !window.fetch) { return; }
  function set(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function row(f) {
    var tr = document.createElement("tr");
    [f.to, f.status, f.attempts, f.error].forEach(function (v) {
      var td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td);
    });
    return tr;
  }
  function poll() {
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        set("fu-sent", p.sent); set("fu-queued", p.queued); set("fu-failed", p.failed);
        set("fu-skipped", p.skipped_total); set("fu-waiting", p.not_queued);
        set("fu-unconfirmed", p.unconfirmed + p.cancelled);
        document.getElementById("fu-preparing").hidden = !p.preparing;
        document.querySelectorAll("[data-reason]").forEach(function (el) {
          el.textContent = p.skipped[el.dataset.reason] || 0;
        });
        var body = document.getElementById("fu-failures");
        if (p.failures.length) { body.replaceChildren.apply(body, p.failures.map(row)); }
        setTimeout(poll, p.queued || p.preparing ? 1500 : 6000);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, 1000);
})();
