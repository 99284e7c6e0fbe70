// The network page: who met whom, drawn by sigma.js (WebGL) from network.json.
// graphology holds the graph; graphology-library finds the groups (Louvain) and lays the graph
// out (ForceAtlas2, in a Web Worker so the page stays responsive).
(function () {
  "use strict";

  var root = document.getElementById("network");
  if (!root) return;
  var i18n = JSON.parse(document.getElementById("network-i18n").textContent);
  var container = document.getElementById("network-graph");
  var hover = document.getElementById("network-hover");
  var note = document.getElementById("network-note");
  var legend = document.getElementById("network-legend");
  var colourSelect = document.getElementById("network-colour");
  var lib = window.graphologyLibrary;
  var PALETTE = ["#2f6fed", "#e6194b", "#3cb44b", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
                 "#9a6324"];
  var OTHER = "#b8bec7";
  var MIN_GROUP = 3;  // smaller Louvain groups are not "groups" worth bridging

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function number(n) { return Number(n).toLocaleString(document.documentElement.lang || undefined); }

  // A counted string: i18n gives [one, other] (the page's ngettext for 1 and 2); the page's
  // language says which one n takes (French: 0 and 1 are "one", English: only 1).
  var pluralRules = new Intl.PluralRules(document.documentElement.lang || undefined);
  function counted(forms, n) {
    return fill(forms[pluralRules.select(Number(n)) === "one" ? 0 : 1], { num: number(n) });
  }

  function buildGraph(data) {
    // The nodes come as columns, the edges as one flat list of (a, b, scans, mutual).
    var graph = new graphology.Graph({ type: "undirected" });
    var n = data.nodes;
    var maxDegree = Math.max.apply(null, [1].concat(n.degree));
    var big = n.id.length > 1000;  // smaller dots, or a big event is one blot
    var minSize = big ? 1.5 : 4, maxSize = big ? 9 : 16;
    for (var i = 0; i < n.id.length; i++) {
      graph.addNode(String(n.id[i]), {
        label: n.name[i], x: Math.random(), y: Math.random(),
        size: minSize + (maxSize - minSize) * Math.sqrt(n.degree[i] / maxDegree),
        company: n.company[i], interests: n.interests[i], degree: n.degree[i],
        interestGroup: n.interest_group[i], companyGroup: n.company_group[i],
      });
    }
    for (var j = 0; j + 3 < data.edges.length; j += 4) {
      var a = String(data.edges[j]), b = String(data.edges[j + 1]), mutual = data.edges[j + 3];
      if (graph.hasNode(a) && graph.hasNode(b) && !graph.hasEdge(a, b)) {
        graph.addEdge(a, b, { weight: data.edges[j + 2], size: mutual ? 1.2 : 0.5,
                              color: mutual ? "#9aa5b4" : "#d5d9df" });
      }
    }
    return graph;
  }

  // Groups: Louvain communities, numbered by size (largest first).
  function findGroups(graph) {
    var sizes = {};
    if (graph.size > 0) lib.communitiesLouvain.assign(graph, { getEdgeWeight: "weight" });
    graph.forEachNode(function (node, attrs) {
      var c = attrs.community == null ? node : attrs.community;
      sizes[c] = (sizes[c] || 0) + 1;
    });
    var ranked = Object.keys(sizes).sort(function (a, b) { return sizes[b] - sizes[a]; });
    var rank = {};
    ranked.forEach(function (c, i) { rank[c] = i; });
    graph.forEachNode(function (node, attrs) {
      var c = attrs.community == null ? node : attrs.community;
      graph.mergeNodeAttributes(node, { group: rank[c], groupSize: sizes[c] });
    });
    return ranked.map(function (c) { return sizes[c]; });
  }

  // Bridges: people with ties into the most other groups (then by how evenly their ties spread).
  function findBridges(graph, limit) {
    var bridges = [];
    graph.forEachNode(function (node, attrs) {
      var perGroup = {};
      var ties = 0;
      graph.forEachNeighbor(node, function (other, o) {
        if (o.groupSize < MIN_GROUP) return;
        perGroup[o.group] = (perGroup[o.group] || 0) + 1;
        ties += 1;
      });
      var others = Object.keys(perGroup).filter(function (g) { return Number(g) !== attrs.group; });
      if (others.length < 1 || attrs.groupSize < MIN_GROUP) return;
      var spread = 1 - Object.keys(perGroup).reduce(function (sum, g) {
        return sum + Math.pow(perGroup[g] / ties, 2);
      }, 0);
      bridges.push({ node: node, name: attrs.label, company: attrs.company,
                     others: others.length, spread: spread, degree: attrs.degree });
    });
    bridges.sort(function (a, b) {
      return b.others - a.others || b.spread - a.spread || b.degree - a.degree;
    });
    return bridges.slice(0, limit);
  }

  function listBridges(bridges, renderer) {
    var list = document.getElementById("network-bridges");
    var fresh = document.createDocumentFragment();
    bridges.forEach(function (b) {
      var li = document.createElement("li");
      var who = document.createElement("button");
      who.type = "button";
      who.className = "link";
      who.textContent = b.name + (b.company ? " · " + b.company : "");
      who.addEventListener("click", function () { focusNode(renderer, b.node); });
      var count = document.createElement("span");
      count.className = "count";
      count.textContent = counted(i18n.bridge, b.others);
      li.append(who, " ", count);
      fresh.append(li);
    });
    list.replaceChildren(fresh);
    document.querySelector("[data-empty=bridges]").hidden = bridges.length > 0;
  }

  function colourKey(attrs, mode) {
    if (mode === "company") return String(attrs.companyGroup);
    if (mode === "group") return attrs.group < PALETTE.length && attrs.groupSize >= MIN_GROUP
      ? String(attrs.group) : "";
    return String(attrs.interestGroup);
  }

  function applyColours(graph, data, groupSizes, mode) {
    var keys;
    var labels = {};
    if (mode === "company" || mode === "interest") {
      var names = mode === "company" ? data.company_groups : data.interest_groups;
      keys = names.map(function (name, i) { labels[String(i)] = name; return String(i); });
    } else {
      keys = groupSizes.slice(0, PALETTE.length).map(function (_, i) { return String(i); })
        .filter(function (k) { return groupSizes[k] >= MIN_GROUP; });
      keys.forEach(function (k) {
        labels[k] = fill(i18n.group, { n: Number(k) + 1 }) + " (" + counted(i18n.people, groupSizes[k]) + ")";
      });
    }
    var colour = {};
    keys.forEach(function (k, i) { colour[k] = PALETTE[i % PALETTE.length]; });
    graph.forEachNode(function (node, attrs) {
      graph.setNodeAttribute(node, "color", colour[colourKey(attrs, mode)] || OTHER);
    });
    var items = document.createDocumentFragment();
    keys.concat([""]).forEach(function (k) {
      var li = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour[k] || OTHER;
      li.append(swatch, labels[k] || k || i18n.other);
      items.append(li);
    });
    legend.replaceChildren(items);
  }

  var highlighted = null;

  function showDetails(graph, node) {
    var attrs = graph.getNodeAttributes(node);
    var name = document.createElement("strong");
    name.textContent = attrs.label;
    var lines = [name];
    if (attrs.company) lines.push(document.createElement("br"), attrs.company);
    lines.push(document.createElement("br"), attrs.interests || i18n.none);
    lines.push(document.createElement("br"), counted(i18n.connections, attrs.degree));
    hover.replaceChildren.apply(hover, lines);
    hover.hidden = false;
  }

  function focusNode(renderer, node) {
    var display = renderer.getNodeDisplayData(node);
    if (!display) return;
    highlighted = node;
    showDetails(renderer.getGraph(), node);
    renderer.getCamera().animate({ x: display.x, y: display.y, ratio: 0.3 }, { duration: 400 });
    renderer.refresh();
  }

  function draw(data) {
    var graph = buildGraph(data);
    if (graph.order === 0) {
      note.textContent = i18n.empty;
      container.classList.add("empty");
      window.eventnetNetwork = { graph: graph, renderer: null, layout: null };
      listBridges([], null);
      return;
    }
    var groupSizes = findGroups(graph);
    var parts = [data.is_sampled
      ? fill(i18n.sampled, { people: counted(i18n.people, graph.order), edges: number(graph.size),
                             connections: counted(i18n.connections, data.total_edges) })
      : fill(i18n.shown, { people: counted(i18n.people, graph.order),
                           connections: counted(i18n.connections, graph.size) })];
    if (data.unconnected) parts.push(counted(i18n.unconnected, data.unconnected));
    note.textContent = parts.join(" ");
    applyColours(graph, data, groupSizes, colourSelect.value);

    var renderer;
    try {
      renderer = new Sigma(graph, container, {
        labelRenderedSizeThreshold: 9, zIndex: true,
        nodeReducer: function (node, attrs) {
          if (!highlighted) return attrs;
          if (node === highlighted || graph.areNeighbors(node, highlighted)) {
            return Object.assign({}, attrs, { zIndex: 1, forceLabel: node === highlighted });
          }
          return Object.assign({}, attrs, { color: "#e5e7eb", label: "", zIndex: 0 });
        },
        edgeReducer: function (edge, attrs) {
          if (!highlighted) return attrs;
          return graph.hasExtremity(edge, highlighted) ? Object.assign({}, attrs, { color: "#1f2933", size: 1.5 })
            : Object.assign({}, attrs, { hidden: true });
        },
      });
    } catch (e) {
      note.textContent = i18n.no_webgl;
      return;
    }
    listBridges(findBridges(graph, 10), renderer);

    renderer.on("enterNode", function (event) {
      highlighted = event.node;
      showDetails(graph, event.node);
      renderer.refresh();
    });
    renderer.on("leaveNode", function () {
      highlighted = null;
      hover.hidden = true;
      renderer.refresh();
    });
    colourSelect.addEventListener("change", function () {
      applyColours(graph, data, groupSizes, colourSelect.value);
    });
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var camera = renderer.getCamera();
        var action = button.dataset.zoom;
        if (action === "in") camera.animatedZoom({ duration: 300 });
        else if (action === "out") camera.animatedUnzoom({ duration: 300 });
        else { highlighted = null; hover.hidden = true; camera.animatedReset({ duration: 300 }); }
      });
    });

    // Lay out in a worker for a few seconds (longer for bigger graphs), then freeze.
    var fa2 = lib.layoutForceAtlas2;
    var settings = Object.assign(fa2.inferSettings(graph), { barnesHutOptimize: graph.order > 500 });
    var layout = null;
    try {
      layout = new lib.FA2Layout(graph, { settings: settings });
      layout.start();
      setTimeout(function () { layout.stop(); }, Math.min(12000, 2000 + graph.order * 2));
    } catch (e) {  // no workers (locked-down browser): a short synchronous run instead
      fa2.assign(graph, { iterations: 60, settings: settings });
    }
    window.addEventListener("pagehide", function () {
      if (layout) layout.kill();
      renderer.kill();
    });
    window.eventnetNetwork = { graph: graph, renderer: renderer, layout: layout };
  }

  fetch(root.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(draw)
    .catch(function (error) {
      note.textContent = i18n.error;
      console.error(error);
    });
})();
