// The live event overview: draws the scans chart (Chart.js) and polls overview.json.
(function () {
  "use strict";

  var root = document.getElementById("overview");
  if (!root) return;
  var i18n = JSON.parse(document.getElementById("overview-i18n").textContent);
  var data = JSON.parse(document.getElementById("overview-data").textContent);
  var url = root.dataset.url;
  var interval = Number(root.dataset.interval) || 5000;
  var statusEl = root.querySelector("[data-status]");
  var lang = document.documentElement.lang || undefined;
  var pluralRules = new Intl.PluralRules(lang);
  var chart = null;
  var timer = null;
  var failures = 0;

  function formatter(timeZone, options) {
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: timeZone }, options));
    } catch (e) {  // a zone this browser does not know: fall back to UTC
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: "UTC" }, options));
    }
  }

  function lookup(obj, path) {
    return path.split(".").reduce(function (value, key) {
      return value == null ? value : value[key];
    }, obj);
  }

  function drawChart(d) {
    var bucketTime = formatter(d.timezone, { hour: "2-digit", minute: "2-digit" });
    var labels = d.timeline.map(function (b) { return bucketTime.format(new Date(b.start)); });
    var counts = d.timeline.map(function (b) { return b.scans; });
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = counts;
      chart.update("none");
      return;
    }
    chart = new Chart(document.getElementById("scans-chart"), {
      type: "bar",
      data: { labels: labels, datasets: [{ label: i18n.scans, data: counts, backgroundColor: "#2f6fed" }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function renderList(list, items) {
    var fresh = document.createDocumentFragment();
    items.forEach(function (item) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = item.label;
      var count = document.createElement("span");
      count.className = "count";
      count.textContent = item.count;
      li.append(label, " ", count);
      fresh.append(li);
    });
    list.replaceChildren(fresh);
  }

  function render(d) {
    root.querySelectorAll("[data-stat]").forEach(function (el) {
      var value = lookup(d, el.dataset.stat);
      if (value != null) el.textContent = value;
    });
    // Captions follow their number: [one, other], chosen by the page's language.
    root.querySelectorAll("[data-counted]").forEach(function (el) {
      var value = lookup(d, el.dataset.counted);
      var forms = JSON.parse(el.dataset.forms);
      if (value != null) el.textContent = forms[pluralRules.select(Number(value)) === "one" ? 0 : 1];
    });
    renderList(root.querySelector("[data-list=top_interests]"), d.top_interests);
    var empty = { timeline: d.timeline.length, top_interests: d.top_interests.length,
                  followups: d.followups.total };
    root.querySelectorAll("[data-empty]").forEach(function (el) {
      el.hidden = Boolean(empty[el.dataset.empty]);
    });
    drawChart(d);
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) return schedule(interval);  // nobody looking: do not load the server
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401 || response.status === 404) {
          statusEl.textContent = i18n.signed_out;
          root.classList.add("stale");
          return null;  // stop polling: reloading is the way out
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json().then(function (d) {
          data = d;
          failures = 0;
          render(d);
          root.classList.remove("stale");
          var clock = formatter(d.timezone, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
          statusEl.textContent = i18n.updated.replace("%(time)s", clock.format(new Date(d.generated_at)));
          schedule(interval);
        });
      })
      .catch(function () {
        failures += 1;
        root.classList.add("stale");
        statusEl.textContent = i18n.offline;
        schedule(Math.min(60000, interval * Math.pow(2, failures)));  // back off while offline
      });
  }

  render(data);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });
  schedule(interval);
})();
