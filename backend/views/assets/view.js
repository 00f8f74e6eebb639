// crimegraph workspace: draws the view's JSON with vis-network, then lets the investigator find, filter,
// focus, expand (through the GraphQL API when served), save and reopen. Every value that came with the data
// or from the API is put into the page as text (textContent, canvas labels), never parsed as HTML.
// All state lives in one object, window.crimegraph.
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("crimegraph-data").textContent);
  var timings = { parsed: performance.now() - started };  // where the time to a stable view goes
  var GROUP = "__group__", MORE = "__more__", EVIDENCE = "__evidence__", AGGREGATE = "AGGREGATE";
  var LABEL_MAX = 40, TIP_PROPS = 10;
  var LEVELS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];
  var served = !!(data.api && data.api.graphql);

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function short(text, limit) {
    text = String(text).split(/\s+/).join(" ").trim();
    return text.length <= limit ? text : text.slice(0, limit - 1) + "\u2026";
  }
  function status(text) { $("cg-status").textContent = text || ""; }

  // ---- tooltips: rows stay in memory and become DOM text only when hovered ------------------------------
  var tips = { node: {}, edge: {} };
  function prepare(item, kind) {
    var copy = Object.assign({}, item);
    tips[kind][item.id] = [item.heading, item.tip];
    delete copy.heading;
    delete copy.tip;
    return copy;
  }
  function tooltip(heading, rows) {
    var box = el("div", "cg-tip");
    box.appendChild(el("strong", null, heading));
    var table = el("table");
    (rows || []).forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      tr.appendChild(el("td", null, row[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  // ---- sizes: the server scaled each item's value to a size (render.presize); what is added later is
  // scaled here to the same range, so vis-network never rescales everything drawn (nothing jumps) ---------
  function sizer(dataSet, which, size) {
    var scaling = data.options[which].scaling;
    function sized(item) {
      var range = data.scale && data.scale[which];
      if (!range || item === null || typeof item !== "object" || item.value === undefined || item.value === null) { return item; }
      var share = range[1] === range[0] ? 0.5 : Math.min(1, Math.max(0, (item.value - range[0]) / (range[1] - range[0])));
      var copy = Object.assign({}, item);
      delete copy.value;
      copy[size] = scaling.min + share * (scaling.max - scaling.min);
      if (scaling.label && scaling.label.enabled) {
        copy.font = Object.assign({}, copy.font || {}, { size: scaling.label.min + share * (scaling.label.max - scaling.label.min) });
      }
      return copy;
    }
    ["add", "update"].forEach(function (method) {
      var original = dataSet[method].bind(dataSet);
      dataSet[method] = function (items, senderId) {
        return original(Array.isArray(items) ? items.map(sized) : sized(items), senderId);
      };
    });
  }

  // ---- the one state object ----------------------------------------------------------------------------
  var nodes = new vis.DataSet(data.nodes.map(function (n) { return prepare(n, "node"); }));
  var edges = new vis.DataSet(data.edges.map(function (e) { return prepare(e, "edge"); }));
  sizer(nodes, "nodes", "size");
  sizer(edges, "edges", "width");
  var container = $("cg-network");
  timings.datasets = performance.now() - started;
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  timings.network = performance.now() - started;
  var state = {
    ready: false, stableMs: null, state: null, data: data, timings: timings,
    nodes: nodes, edges: edges, network: network,
    hidden: {},          // node ids hidden by hand
    pinned: {},          // node ids pinned by hand
    filters: { kinds: {}, types: {}, since: "", until: "" },  // kinds/types: name -> false when filtered out
    cursors: {},         // expanded key -> {after, total, fetched} of its neighbours connection
    inGroup: {},         // member key -> aggregate id while the aggregate is closed
    stateHidden: { nodes: {}, edges: {} },
    tlp: data.tlp || "CLEAR",
    leftOut: 0,
    busy: 0
  };
  window.crimegraph = state;
  Object.keys(data.members || {}).forEach(function (gid) {
    data.members[gid].forEach(function (m) { state.inGroup[m.id] = gid; });
  });

  $("cg-title").textContent = data.title;
  var notes = $("cg-notes");
  function note(text) { notes.appendChild(el("p", "cg-note", text)); }
  (data.notes || []).forEach(note);
  if (!served) {
    note("Opened from a file: search and filters work among what is drawn; expanding a node, opening its " +
      "neighbourhood and reopening a saved investigation need the server (crimegraph serve).");
  }

  // ---- marking banner ----------------------------------------------------------------------------------
  function higher(a, b) { return LEVELS.indexOf(b) > LEVELS.indexOf(a) ? b : a; }
  function mark(level) {
    if (!level) { return; }
    level = String(level).replace("_", "+");  // the API's Tlp enum spells AMBER+STRICT as AMBER_STRICT
    var top = higher(state.tlp, level);
    if (top === state.tlp && $("cg-banner").getAttribute("data-tlp") === top) { return; }
    state.tlp = top;
    var banner = $("cg-banner");
    banner.setAttribute("data-tlp", top);
    var label = $("cg-tlp-label");
    label.textContent = "TLP:" + top;
    label.style.color = data.marking[top].color;
    $("cg-tlp-words").textContent = "highest marking drawn: " + data.marking[top].words;
  }

  // ---- tooltips on hover -------------------------------------------------------------------------------
  var popup = el("div", "cg-tooltip");
  popup.id = "cg-tooltip";
  container.appendChild(popup);
  function showTip(kind, id, pointer) {
    var tip = tips[kind][id];
    if (!tip) { return; }
    popup.replaceChildren(tooltip(tip[0], tip[1]));
    var x = pointer.DOM.x + 14, y = pointer.DOM.y + 14;
    popup.style.left = Math.max(0, Math.min(x, container.clientWidth - 430)) + "px";
    popup.style.top = Math.max(0, Math.min(y, container.clientHeight - popup.offsetHeight - 4)) + "px";
    popup.style.visibility = "visible";
  }
  function hideTip() { popup.style.visibility = "hidden"; }
  network.on("hoverNode", function (event) { showTip("node", event.node, event.pointer); });
  network.on("hoverEdge", function (event) { showTip("edge", event.edge, event.pointer); });
  network.on("blurNode", hideTip);
  network.on("blurEdge", hideTip);
  network.on("dragStart", hideTip);
  network.on("zoom", hideTip);

  function done() {
    if (state.ready) { return; }
    state.ready = true;
    state.stableMs = performance.now() - started;
    state.navigationMs = performance.now();  // from the navigation's start (the request included)
    if (data.physics) { network.setOptions({ physics: { enabled: false } }); }
    document.body.setAttribute("data-ready", "1");
  }
  if (data.physics) {
    network.once("stabilizationIterationsDone", done);
    network.once("stabilized", done);
  } else {
    network.once("afterDrawing", done);
  }

  // ---- visibility: by hand, by filter, by time, by a plan's state --------------------------------------
  function day(text) { return text ? String(text).slice(0, 10) : ""; }
  function outside(item) {
    var f = state.filters;
    if (!f.since && !f.until) { return false; }
    var first = day(item.cgFirst), last = day(item.cgLast || item.cgFirst);
    if (!first && !last) { return false; }  // undated: kept, and counted in the note
    if (f.since && last && last < f.since) { return true; }
    if (f.until && first && first > f.until) { return true; }
    return false;
  }
  function nodeHidden(n) {
    return !!(state.hidden[n.id] || state.filters.kinds[n.cgKind] === false || outside(n) ||
      state.stateHidden.nodes[n.id]);
  }
  function refresh() {
    var gone = {}, nodeUpdates = [], edgeUpdates = [], undated = 0;
    nodes.forEach(function (n) {
      var hide = nodeHidden(n);
      if (hide) { gone[n.id] = true; }
      if (!n.cgFirst && !n.cgLast && n.cgKind !== GROUP && n.cgKind !== MORE && n.cgKind !== EVIDENCE) { undated += 1; }
      if (!!n.hidden !== hide) { nodeUpdates.push({ id: n.id, hidden: hide }); }
    });
    edges.forEach(function (e) {
      var hide = !!(gone[e.from] || gone[e.to] || state.filters.types[e.cgType] === false ||
        (e.cgType !== AGGREGATE && e.cgType !== MORE && outside(e)) || state.stateHidden.edges[e.id]);
      if (!!e.hidden !== hide) { edgeUpdates.push({ id: e.id, hidden: hide }); }
    });
    if (nodeUpdates.length) { nodes.update(nodeUpdates); }
    if (edgeUpdates.length) { edges.update(edgeUpdates); }
    $("cg-time-note").textContent = (state.filters.since || state.filters.until) && undated ?
      undated + " undated entit" + (undated === 1 ? "y is" : "ies are") + " kept in the time range." : "";
    $("cg-unhide").textContent = "Show hidden (" + Object.keys(state.hidden).length + ")";
    panels();
  }
  state.visible = function () {
    return {
      nodes: nodes.get({ filter: function (n) { return !n.hidden; } }).length,
      edges: edges.get({ filter: function (e) { return !e.hidden; } }).length
    };
  };

  // ---- filters and legend: built from what the DataSets hold, so they match the drawing ------------------
  function kindName(kind) {
    if (kind === GROUP) { return "aggregate (double-click to open)"; }
    if (kind === MORE) { return "+N more (double-click for the next page)"; }
    if (kind === EVIDENCE) { return "shared contact or product"; }
    return kind;
  }
  function colorOf(value) { return typeof value === "string" ? value : (value && (value.background || value.color)) || "#999"; }
  function swatch(shape, color, line, dashed) {
    var canvas = document.createElement("canvas");
    canvas.width = 18; canvas.height = 16;
    var c = canvas.getContext("2d");
    c.fillStyle = color; c.strokeStyle = line ? color : "#444"; c.lineWidth = line ? 3 : 1;
    if (line) {
      if (dashed) { c.setLineDash([4, 3]); }
      c.beginPath(); c.moveTo(1, 8); c.lineTo(17, 8); c.stroke();
      return canvas;
    }
    c.beginPath();
    var x = 9, y = 8, r = 6.5, i;
    if (shape === "box" || shape === "square") { c.rect(2.5, 2.5, 13, 11); }
    else if (shape === "ellipse") { c.ellipse(x, y, 8, 5, 0, 0, 2 * Math.PI); }
    else if (shape === "diamond") { c.moveTo(x, 1); c.lineTo(16, y); c.lineTo(x, 15); c.lineTo(2, y); c.closePath(); }
    else if (shape === "triangle") { c.moveTo(x, 1.5); c.lineTo(16, 14); c.lineTo(2, 14); c.closePath(); }
    else if (shape === "triangleDown") { c.moveTo(2, 2); c.lineTo(16, 2); c.lineTo(x, 14.5); c.closePath(); }
    else if (shape === "hexagon") {
      for (i = 0; i < 6; i++) { c.lineTo(x + r * Math.cos(Math.PI / 3 * i), y + r * Math.sin(Math.PI / 3 * i)); }
      c.closePath();
    } else if (shape === "star") {
      for (i = 0; i < 10; i++) {
        var rr = i % 2 ? r / 2.3 : r, a = -Math.PI / 2 + Math.PI / 5 * i;
        c.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      c.closePath();
    } else if (shape === "text") { c.font = "bold 13px sans-serif"; c.fillText("A", 4, 13); return canvas; }
    else { c.arc(x, y, r, 0, 2 * Math.PI); }
    c.fill(); c.stroke();
    return canvas;
  }
  function checkbox(box, what, name, label, count, shape, color, line) {
    var row = el("label");
    var input = el("input");
    input.type = "checkbox";
    input.checked = state.filters[what][name] !== false;
    input.setAttribute("data-" + (what === "kinds" ? "kind" : "type"), name);
    input.addEventListener("change", function () {
      state.filters[what][name] = input.checked ? true : false;
      refresh();
    });
    row.appendChild(input);
    row.appendChild(swatch(shape, color, line));
    row.appendChild(el("span", null, label + " (" + count + ")"));
    box.appendChild(row);
  }
  function panels() {
    var kinds = {}, types = {}, legendNodes = {}, legendEdges = {}, focus = false, recovery = false, shared = false;
    nodes.forEach(function (n) {
      var k = kinds[n.cgKind] || (kinds[n.cgKind] = { count: 0, shape: n.shape, color: colorOf(n.color) });
      k.count += 1;
      if (n.hidden) { return; }
      var key = (n.cgLegend || n.cgKind) + "|" + n.shape + "|" + colorOf(n.color);
      var entry = legendNodes[key] || (legendNodes[key] = { label: n.cgLegend || n.cgKind, shape: n.shape, color: colorOf(n.color), count: 0 });
      entry.count += 1;
      if (n.cgFocus) { focus = true; }
      if (n.cgEvidence) { shared = true; }
    });
    edges.forEach(function (e) {
      // the type's own colour (a line may be drawn otherwise: shared things too common to count are grey)
      var t = types[e.cgType] || (types[e.cgType] = { count: 0, color: data.styles.edges[e.cgType] || colorOf(e.color) });
      t.count += 1;
      if (e.hidden) { return; }
      if (e.cgType === "RECOVERY") { recovery = true; return; }
      var key = e.cgType + "|" + colorOf(e.color) + "|" + (e.cgLegend || "");
      var entry = legendEdges[key] || (legendEdges[key] = { label: e.cgType, words: e.cgLegend, color: colorOf(e.color), count: 0, dashed: !!e.dashes });
      entry.count += 1;
    });
    var kbox = $("cg-kinds"), tbox = $("cg-types");
    kbox.replaceChildren(); tbox.replaceChildren();
    Object.keys(kinds).sort().forEach(function (name) {
      checkbox(kbox, "kinds", name, kindName(name), kinds[name].count, kinds[name].shape, kinds[name].color, false);
    });
    Object.keys(types).sort().forEach(function (name) {
      var label = name === AGGREGATE ? "links between aggregates" : name === MORE ? "to +N more" : name.replace(/_/g, " ").toLowerCase();
      checkbox(tbox, "types", name, label, types[name].count, null, types[name].color, true);
    });
    var legend = $("cg-legend");
    legend.replaceChildren();
    function entry(canvas, text) {
      var li = el("li");
      li.appendChild(canvas);
      li.appendChild(el("span", null, text));
      legend.appendChild(li);
    }
    Object.keys(legendNodes).map(function (k) { return legendNodes[k]; })
      .sort(function (a, b) { return b.count - a.count || (a.label < b.label ? -1 : 1); })
      .forEach(function (n) { entry(swatch(n.shape, n.color, false), n.label + " (" + n.count + ")"); });
    if (focus) {
      var ring = swatch("dot", "#ffffff", false);
      var c = ring.getContext("2d");
      c.strokeStyle = data.styles.highlight; c.lineWidth = 3; c.beginPath(); c.arc(9, 8, 5.5, 0, 2 * Math.PI); c.stroke();
      entry(ring, "red border: asked about / target");
    }
    if (shared) {
      var orange = swatch("dot", "#ffffff", false);
      var o = orange.getContext("2d");
      o.strokeStyle = data.styles.evidence; o.lineWidth = 3; o.beginPath(); o.arc(9, 8, 5.5, 0, 2 * Math.PI); o.stroke();
      entry(orange, "purple border: shared evidence (hover for why)");
    }
    Object.keys(legendEdges).map(function (k) { return legendEdges[k]; })
      .sort(function (a, b) { return b.count - a.count || (a.label < b.label ? -1 : 1); })
      .forEach(function (e) {
        var label = e.words ? e.words : e.label === AGGREGATE ? "links between aggregates" : e.label === MORE ? "to +N more" : e.label.replace(/_/g, " ").toLowerCase();
        entry(swatch(null, e.color, true, e.dashed), label + " (" + e.count + ")");
      });
    if (recovery) { entry(swatch(null, data.styles.recovery, true, true), "link recovery could restore"); }
    entry(swatch(null, "#9a9a9a", true), "edge width: amount, weight or links stood for");
  }
  $("cg-since").addEventListener("change", function () { state.filters.since = $("cg-since").value; refresh(); });
  $("cg-until").addEventListener("change", function () { state.filters.until = $("cg-until").value; refresh(); });

  // ---- measures (plans) and states -----------------------------------------------------------------------
  if (data.measures) {
    var box = $("cg-measures");
    box.appendChild(el("h2", null, data.measures.title));
    var table = el("table");
    var head = el("tr");
    var nowrap = data.measures.nowrap || [];  // columns whose words never break (a TLP level)
    var whole = data.measures.columns.map(function (name) { return nowrap.indexOf(name) >= 0 ? "cg-nowrap" : null; });
    data.measures.columns.forEach(function (name, i) { head.appendChild(el("th", whole[i], name)); });
    table.appendChild(head);
    data.measures.rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (value, i) { tr.appendChild(el("td", whole[i], value)); });
      table.appendChild(tr);
    });
    box.appendChild(table);
  }
  function show(name) {
    var hidden = data.states.hidden[name];
    state.stateHidden = { nodes: {}, edges: {} };
    hidden.nodes.forEach(function (id) { state.stateHidden.nodes[id] = true; });
    hidden.edges.forEach(function (id) { state.stateHidden.edges[id] = true; });
    state.state = name;
    Array.prototype.forEach.call(document.querySelectorAll("#cg-controls button"), function (button) {
      button.className = button.getAttribute("data-state") === name ? "cg-active" : "";
    });
    refresh();
  }
  state.show = function (name) { show(name); };
  if (data.states) {
    var controls = $("cg-controls");
    data.states.order.forEach(function (name) {
      var button = el("button", null, data.states.labels[name]);
      button.setAttribute("type", "button");
      button.setAttribute("data-state", name);
      button.addEventListener("click", function () { show(name); });
      controls.appendChild(button);
    });
  }

  // ---- adding what the API answers -------------------------------------------------------------------------
  function propsRows(props) {
    var rows = [], shown = 0;
    Object.keys(props || {}).sort().forEach(function (name) {
      var value = props[name];
      if (shown >= TIP_PROPS || value === null || value === "" || name === "aliases") { return; }
      if (Array.isArray(value)) { if (!value.length) { return; } value = value.join(", "); }
      else if (typeof value === "object") { value = JSON.stringify(value); }
      rows.push([name, short(value, 160)]);
      shown += 1;
    });
    return rows;
  }
  function provRows(prov) {
    var rows = [];
    if (!prov) { return rows; }
    if (prov.sources && prov.sources.length) {
      rows.push(["sources", prov.sources.slice(0, 6).map(function (s) { return short(s, 60); }).join("; ") +
        (prov.sources.length > 6 ? "; +" + (prov.sources.length - 6) + " more" : "")]);
    }
    if (prov.firstSeen) { rows.push(["first seen", prov.firstSeen]); }
    if (prov.lastSeen) { rows.push(["last seen", prov.lastSeen]); }
    if (prov.confidence !== undefined && prov.confidence !== null) { rows.push(["confidence", String(prov.confidence)]); }
    if (prov.tlp) { rows.push(["TLP", prov.tlp]); }
    return rows;
  }
  function entityNode(entity, x, y) {
    var style = data.styles.kinds[entity.kind] || { color: data.styles.more, shape: "dot" };
    var prov = entity.provenance || {};
    var node = {
      id: entity.key, label: short(entity.name || entity.key, LABEL_MAX), shape: style.shape, color: style.color,
      value: 1, x: x, y: y, cgKind: entity.kind, cgLegend: entity.kind, cgName: entity.name || entity.key,
      heading: entity.name || entity.key,
      tip: [["kind", entity.kind + " / " + (entity.type || "")], ["key", short(entity.key, 160)]]
        .concat(propsRows(entity.properties)).concat(provRows(prov))
    };
    if (entity.aliases && entity.aliases.length) { node.cgAliases = entity.aliases.slice(0, 20); }
    if (prov.firstSeen) { node.cgFirst = prov.firstSeen; }
    if (prov.lastSeen) { node.cgLast = prov.lastSeen; }
    if (prov.tlp) { node.cgTlp = prov.tlp; }
    return node;
  }
  function linkEdge(link) {
    var prov = link.provenance || {};
    var color = data.styles.edges[link.type] || "#9a9a9a";
    var edge = {
      id: link.key, from: link.source, to: link.target, cgType: link.type,
      color: { color: color, highlight: "#333333", hover: "#333333" },
      heading: link.type.replace(/_/g, " ").toLowerCase(),
      tip: [["type", link.type]].concat(propsRows(link.properties)).concat(provRows(prov))
    };
    if (prov.firstSeen) { edge.cgFirst = prov.firstSeen; }
    if (prov.lastSeen) { edge.cgLast = prov.lastSeen; }
    if (prov.tlp) { edge.cgTlp = prov.tlp; }
    if (link.type === "TRANSFERRED") { edge.cgTransfer = link.properties || {}; }
    return edge;
  }
  // A transfer that arrives by expanding joins its wallet pair's one edge (as the server draws them).
  function mergeTransfer(e) {
    var p = e.cgTransfer, id = "transfers:" + e.from + ">" + e.to;
    var existing = edges.get(id);
    var rows = existing && existing.cgTransfers ? existing.cgTransfers.slice() : [];
    var tx = String(p.tx_id || e.id);
    if (rows.some(function (row) { return row[0] === tx; })) { return; }
    var amount = typeof p.amount === "number" ? p.amount : null;
    rows.push([tx, String(p.time || e.cgFirst || "undated"),
      amount === null ? "amount unknown" : amount + (p.asset ? " " + p.asset : ""),
      typeof p.amount_usd === "number" ? "$" + p.amount_usd.toFixed(2) : ""]);
    var count = (existing && existing.cgCount ? existing.cgCount : (existing ? rows.length - 1 : 0)) + 1;
    var total = (existing && typeof existing.cgTotal === "number" ? existing.cgTotal : 0) + (amount || 0);
    var label = count + " transfer" + (count === 1 ? "" : "s") + " · " + Number(total.toPrecision(4)) + (p.asset ? " " + p.asset : "");
    var item = {
      id: id, from: e.from, to: e.to, cgType: "TRANSFERRED", cgTransfers: rows, cgCount: count, cgTotal: total,
      label: label, value: total || count, color: e.color, cgFirst: e.cgFirst, cgLast: e.cgLast, cgTlp: e.cgTlp
    };
    tips.edge[id] = [label, [["transfers", count + " (click the edge to list them)"]]];
    mark(e.cgTlp);
    if (existing) { edges.update(item); } else { edges.add(item); }
  }
  // Where an entity is drawn: itself, the aggregate holding it, or nowhere (null).
  function drawnAs(key) {
    if (nodes.get(key)) { return key; }
    if (state.inGroup[key] && nodes.get(state.inGroup[key])) { return state.inGroup[key]; }
    return null;
  }
  function addAggregateLink(a, b) {
    var id = "agg:" + (a < b ? a + "~" + b : b + "~" + a);
    var existing = edges.get(id);
    var count = (existing ? existing.cgCount : 0) + 1;
    var item = {
      id: id, from: a, to: b, cgType: AGGREGATE, cgCount: count, value: count, arrows: "",
      color: { color: "#9a9a9a" }
    };
    tips.edge[id] = ["links between groups", [["edges", String(count)]]];
    if (existing) { edges.update(item); } else { edges.add(item); }
  }
  // Add entities and links (already as vis items) around (cx, cy), leaving what is drawn where it is.
  function place(newNodes, newEdges, cx, cy) {
    var fresh = newNodes.filter(function (n) { return !nodes.get(n.id) && !state.inGroup[n.id]; });
    var radius = 110 + 14 * Math.sqrt(fresh.length);
    if (fresh.length > 1 && nodes.length > 1) {
      // Out from the drawing's middle, so the new ones land beside what is drawn rather than on it.
      var all = network.getPositions(), mx = 0, my = 0, count = 0;
      Object.keys(all).forEach(function (id) { mx += all[id].x; my += all[id].y; count += 1; });
      mx /= count; my /= count;
      var dx = cx - mx, dy = cy - my, length = Math.hypot(dx, dy);
      if (length < 1) { dx = 1; dy = 0; length = 1; }
      cx += dx / length * (radius + 60);
      cy += dy / length * (radius + 60);
    }
    fresh.forEach(function (n, i) {
      // A sunflower spiral: even spacing whatever the count, nothing on top of the expanded node.
      var r = radius * Math.sqrt((i + 1) / (fresh.length + 1)) + 60, a = i * 2.39996;
      n.x = cx + r * Math.cos(a);
      n.y = cy + r * Math.sin(a);
      tips.node[n.id] = [n.heading, n.tip];
      delete n.heading; delete n.tip;
      mark(n.cgTlp);
    });
    if (fresh.length) { nodes.add(fresh); }
    var links = [];
    newEdges.forEach(function (e) {
      if (edges.get(e.id)) { return; }
      var a = drawnAs(e.from), b = drawnAs(e.to);
      if (!a || !b) { return; }
      if (a !== e.from || b !== e.to) { if (a !== b) { addAggregateLink(a, b); } return; }
      if (e.cgTransfer) { mergeTransfer(e); return; }
      tips.edge[e.id] = [e.heading, e.tip];
      delete e.heading; delete e.tip;
      mark(e.cgTlp);
      links.push(e);
    });
    if (links.length) { edges.add(links); }
    return fresh.length;
  }

  // ---- the API --------------------------------------------------------------------------------------------
  function gql(query, variables) {
    var headers = { "Content-Type": "application/json", "X-Crimegraph-CSRF": data.api.csrf || "-" };
    return fetch(data.api.graphql, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: JSON.stringify({ query: query, variables: variables })
    }).then(function (response) {
      return response.json().then(function (body) {
        if (body.errors && body.errors.length) { throw new Error(body.errors[0].message); }
        if (!response.ok) { throw new Error("the server answered " + response.status); }
        return body.data;
      });
    });
  }
  var ENTITY = "key kind type name aliases properties provenance { sources firstSeen lastSeen confidence tlp }";
  var LINK = "key type source target properties provenance { sources firstSeen lastSeen confidence tlp }";
  var NEIGHBOURS = "query($key: String!, $first: Int!, $after: String) { neighbours(key: $key, first: $first, " +
    "after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { entity { " + ENTITY +
    " } link { " + LINK + " } } } } }";
  function needServer(what) {
    status(what + " needs the server: open this view from crimegraph serve.");
    return Promise.resolve(0);
  }
  function work(promise) {
    state.busy += 1;
    return promise.then(function (value) { state.busy -= 1; return value; }, function (error) {
      state.busy -= 1;
      status(String(error && error.message || error));
      return 0;
    });
  }
  // The next page of a key's neighbours: added around it, a "+N more" marker for what is left.
  function expandKey(key) {
    var cursor = state.cursors[key] || { after: null, fetched: 0 };
    var page = (data.api && data.api.page) || 100;
    return gql(NEIGHBOURS, { key: key, first: page, after: cursor.after }).then(function (answer) {
      var conn = answer.neighbours;
      var newNodes = [], newEdges = [];
      conn.edges.forEach(function (item) {
        newNodes.push(entityNode(item.node.entity, 0, 0));
        newEdges.push(linkEdge(item.node.link));
      });
      var anchor = drawnAs(key);
      var at = anchor ? network.getPosition(anchor) : { x: 0, y: 0 };
      var added = place(newNodes, newEdges, at.x, at.y);
      cursor = { after: conn.pageInfo.endCursor, fetched: cursor.fetched + conn.edges.length, total: conn.totalCount };
      state.cursors[key] = cursor;
      var moreId = "more:" + key, left = Math.max(conn.totalCount - cursor.fetched, 0);
      if (conn.pageInfo.hasNextPage && left > 0) {
        var marker = {
          id: moreId, label: "+" + left + " more", shape: "box", color: data.styles.more, cgKind: MORE,
          cgLegend: "+N more (double-click for the next page)", cgHub: key, cgCount: left, value: 1
        };
        tips.node[moreId] = ["+" + left + " more", [["not drawn", left + " more links: double-click for the next page"]]];
        if (nodes.get(moreId)) { nodes.update(marker); }
        else {
          marker.x = at.x + 40; marker.y = at.y - 60;
          nodes.add(marker);
          edges.add({ id: "more-edge:" + key, from: key, to: moreId, cgType: MORE, dashes: true, arrows: "", color: { color: data.styles.more } });
        }
      } else if (nodes.get(moreId)) {
        edges.remove(edges.getIds({ filter: function (e) { return e.to === moreId; } }));
        nodes.remove(moreId);
      }
      refresh();
      status("Expanded: " + added + " new, " + left + " more to fetch.");
      return added;
    });
  }
  // An aggregate opens in place: its members around it, its links regrouped.
  function openGroup(gid) {
    var members = (data.members || {})[gid];
    if (!members) { return 0; }
    var at = network.getPosition(gid);
    edges.remove(edges.getIds({ filter: function (e) { return e.from === gid || e.to === gid; } }));
    nodes.remove(gid);
    var copies = members.map(function (m) { return Object.assign({}, m); });
    members.forEach(function (m) { delete state.inGroup[m.id]; });
    var inside = {};
    members.forEach(function (m) { inside[m.id] = true; });
    // Links come as [key, from, to, type, width]: made vis edges here, coloured by type from the schema.
    var links = (data.memberLinks || []).filter(function (l) { return inside[l[1]] || inside[l[2]]; })
      .map(function (l) {
        var edge = {
          id: l[0], from: l[1], to: l[2], cgType: l[3], heading: l[3].replace(/_/g, " ").toLowerCase(),
          tip: [["type", l[3]]], color: { color: data.styles.edges[l[3]] || "#9a9a9a", highlight: "#333333", hover: "#333333" }
        };
        if (l[4] !== null && l[4] !== undefined) { edge.value = l[4]; }
        return edge;
      });
    var added = place(copies, links, at.x, at.y);
    refresh();
    status("Opened the aggregate: " + added + " entities.");
    return added;
  }
  function expand(id) {
    var node = nodes.get(id);
    if (!node) { return Promise.resolve(0); }
    if (node.cgKind === GROUP) { return Promise.resolve(openGroup(id)); }
    if (node.cgKind === EVIDENCE) { status("A shared contact or product is a value, not an entity: nothing to expand."); return Promise.resolve(0); }
    if (!served) { return needServer("Expanding"); }
    var key = node.cgKind === MORE ? node.cgHub : id;
    status("Expanding…");
    return work(expandKey(key));
  }
  state.expand = expand;
  network.on("doubleClick", function (params) {
    if (params.nodes.length) { expand(params.nodes[0]); }
  });

  // ---- find -------------------------------------------------------------------------------------------------
  function findDrawn(text) {
    var q = text.trim().toLowerCase();
    if (!q) { return null; }
    var best = null, rank = 9, bestNode = {};
    nodes.forEach(function (n) {
      if (n.cgKind === MORE) { return; }
      var r = 9, name = String(n.cgName || n.label || "").toLowerCase();
      var aliases = (n.cgAliases || []).map(function (a) { return String(a).toLowerCase(); });
      if (String(n.id).toLowerCase() === q) { r = 0; }
      else if (name === q) { r = 1; }
      else if (aliases.indexOf(q) >= 0) { r = 2; }
      else if (name.indexOf(q) >= 0) { r = 3; }
      else if (aliases.some(function (a) { return a.indexOf(q) >= 0; })) { r = 4; }
      // Ties: what the view is about first, then the best linked, then by key.
      var better = r < rank || (r === rank && r < 9 && (
        (!!n.cgFocus !== !!bestNode.cgFocus) ? !!n.cgFocus :
        (n.value || 0) !== (bestNode.value || 0) ? (n.value || 0) > (bestNode.value || 0) :
        String(n.id) < String(best)));
      if (better) { rank = r; best = n.id; bestNode = n; }
    });
    return best;
  }
  function select(id) {
    if (state.hidden[id]) { delete state.hidden[id]; refresh(); }
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    state.selected = id;
  }
  var SEARCH = "query($text: String!) { search(text: $text, first: 5) { edges { node { " + ENTITY + " } } } }";
  function search(text) {
    var found = findDrawn(text);
    if (found !== null) { select(found); status("Found among what is drawn."); return Promise.resolve(found); }
    if (!text.trim()) { return Promise.resolve(null); }
    if (!served) { status("Not among what is drawn; finding more needs the server."); return Promise.resolve(null); }
    status("Searching…");
    return work(gql(SEARCH, { text: text.trim() }).then(function (answer) {
      var hits = answer.search.edges.map(function (e) { return e.node; });
      if (!hits.length) { status("Nothing found."); return null; }
      var entity = hits[0];
      if (drawnAs(entity.key) && drawnAs(entity.key) !== entity.key) { openGroup(drawnAs(entity.key)); }
      if (!nodes.get(entity.key)) {
        var view = network.getViewPosition();
        place([entityNode(entity, 0, 0)], [], view.x, view.y);
        // Its links to what is drawn (one page of its neighbours, kept where the other end is drawn).
        return gql(NEIGHBOURS, { key: entity.key, first: (data.api && data.api.page) || 100, after: null }).then(function (more) {
          var links = more.neighbours.edges.map(function (item) { return linkEdge(item.node.link); })
            .filter(function (l) { return drawnAs(l.from) && drawnAs(l.to); });
          place([], links, 0, 0);
          refresh();
          select(entity.key);
          status("Added " + (entity.name || entity.key) + " with " + links.length + (links.length === 1 ? " link" : " links") + " to what is drawn.");
          return entity.key;
        });
      }
      select(entity.key);
      return entity.key;
    }));
  }
  state.search = search;
  $("cg-search").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); search($("cg-search").value); }
  });
  $("cg-search").addEventListener("search", function () { if ($("cg-search").value) { search($("cg-search").value); } });

  // ---- hide, pin, fit ---------------------------------------------------------------------------------------
  function hide(ids) { ids.forEach(function (id) { state.hidden[id] = true; }); network.unselectAll(); refresh(); }
  function pin(ids) {
    var updates = ids.map(function (id) {
      var on = !state.pinned[id];
      if (on) { state.pinned[id] = true; } else { delete state.pinned[id]; }
      return { id: id, fixed: on, borderWidth: on ? 3 : 1, shapeProperties: { borderDashes: on ? [3, 2] : false } };
    });
    nodes.update(updates);
  }
  state.hide = hide;
  state.pin = pin;
  $("cg-fit").addEventListener("click", function () { network.fit({ animation: false }); });
  $("cg-hide").addEventListener("click", function () { hide(network.getSelectedNodes()); });
  $("cg-unhide").addEventListener("click", function () { state.hidden = {}; refresh(); });
  $("cg-pin").addEventListener("click", function () { pin(network.getSelectedNodes()); });

  // ---- details of a clicked edge (transfers between two wallets) ------------------------------------------
  network.on("click", function (params) {
    menu.hidden = true;
    var details = $("cg-details");
    if (params.nodes.length || !params.edges.length) { details.replaceChildren(); return; }
    var edge = edges.get(params.edges[0]);
    if (!edge || !edge.cgTransfers) { details.replaceChildren(); return; }
    details.replaceChildren(el("h2", null, tips.edge[edge.id] ? tips.edge[edge.id][0] : "transfers"));
    var table = el("table");
    var head = el("tr");
    ["tx id", "time", "amount", "USD"].forEach(function (name) { head.appendChild(el("th", null, name)); });
    table.appendChild(head);
    edge.cgTransfers.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (value) { tr.appendChild(el("td", null, value)); });
      table.appendChild(tr);
    });
    details.appendChild(table);
    if (edge.cgTransfersLeft) { details.appendChild(el("p", "cg-help", "+" + edge.cgTransfersLeft + " more transfers not listed")); }
  });

  // ---- right-click menu -------------------------------------------------------------------------------------
  var menu = $("cg-menu");
  function item(text, enabled, action, why) {
    var button = el("button", null, text);
    button.type = "button";
    button.setAttribute("role", "menuitem");
    button.disabled = !enabled;
    if (!enabled && why) { button.title = why; }
    button.addEventListener("click", function () { menu.hidden = true; action(); });
    menu.appendChild(button);
  }
  function go(path) { window.location.assign(path); }
  function copy(text) {
    var done = function () { status("Copied " + text); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { status("Key: " + text); });
    } else {
      status("Key: " + text);
    }
    state.copied = text;
  }
  network.on("oncontext", function (params) {
    params.event.preventDefault();
    var id = network.getNodeAt(params.pointer.DOM);
    if (id === undefined) { menu.hidden = true; return; }
    var node = nodes.get(id);
    var entity = node.cgKind !== GROUP && node.cgKind !== MORE && node.cgKind !== EVIDENCE;
    var other = network.getSelectedNodes().filter(function (s) { return s !== id; })[0];
    var server = "needs the server (crimegraph serve)";
    menu.replaceChildren();
    item(node.cgKind === GROUP ? "Open this aggregate" : "Expand", node.cgKind === GROUP || (served && entity), function () { expand(id); }, server);
    item("Hide", true, function () { hide([id]); });
    item(state.pinned[id] ? "Unpin" : "Pin", true, function () { pin([id]); });
    item("Open its neighbourhood", entity && served, function () { go("/view/neighbourhood/" + encodeURIComponent(id)); }, server);
    item("Paths to the selected node", entity && served && other !== undefined, function () {
      go("/view/paths?source=" + encodeURIComponent(id) + "&target=" + encodeURIComponent(other));
    }, served ? "select another node first" : server);
    if (node.cgKind === "Wallet") {
      item("Money view", served, function () { go("/view/money/" + encodeURIComponent(id)); }, server);
    }
    item("Copy key", entity, function () { copy(id); });
    menu.hidden = false;
    var x = params.event.clientX !== undefined ? params.event.clientX : params.pointer.DOM.x;
    var y = params.event.clientY !== undefined ? params.event.clientY : params.pointer.DOM.y;
    menu.style.left = Math.min(x, window.innerWidth - 240) + "px";
    menu.style.top = Math.min(y, window.innerHeight - menu.offsetHeight - 4) + "px";
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") { menu.hidden = true; } });

  // ---- save and reopen ---------------------------------------------------------------------------------------
  function investigation() {
    var positions = network.getPositions();
    var saved = [], groups = [];
    nodes.forEach(function (n) {
      var p = positions[n.id] || { x: n.x, y: n.y };
      if (n.cgKind === MORE) { return; }
      if (n.cgKind === GROUP) {
        groups.push({ id: n.id, x: p.x, y: p.y, members: (data.members[n.id] || []).map(function (m) { return m.id; }) });
        return;
      }
      saved.push({ key: n.id, x: Math.round(p.x), y: Math.round(p.y), pinned: !!state.pinned[n.id], hidden: !!state.hidden[n.id] });
    });
    return {
      format: "crimegraph-investigation", version: 1, saved: new Date().toISOString(),
      title: data.title, kind: data.kind, clearance: data.clearance, tlp: state.tlp,
      dataVersion: data.dataVersion === undefined ? null : data.dataVersion,
      nodes: saved, groups: groups,
      edges: edges.getIds({ filter: function (e) { return e.cgType !== AGGREGATE && e.cgType !== MORE && e.cgType !== "RECOVERY"; } }),
      filters: state.filters
    };
  }
  state.investigation = investigation;
  $("cg-save").addEventListener("click", function () {
    var blob = new Blob([JSON.stringify(investigation(), null, 1)], { type: "application/json" });
    var link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = "investigation.json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
    status("Saved investigation.json (marked TLP:" + state.tlp + ").");
  });
  // Reopening asks the server to read every entity again through this caller's clearance.
  function restore(saved) {
    if (!served) { return needServer("Reopening a saved investigation"); }
    status("Reopening…");
    var headers = { "Content-Type": "application/json", "X-Crimegraph-CSRF": data.api.csrf || "-" };
    return work(fetch(data.api.reopen, { method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(saved) })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.detail || ("the server answered " + response.status)); }
          return body;
        });
      }).then(function (fresh) {
        network.setOptions({ physics: { enabled: false } });
        nodes.clear(); edges.clear();
        tips.node = {}; tips.edge = {};
        data.members = fresh.members || {};
        data.scale = fresh.scale || null;
        data.memberLinks = fresh.memberLinks || [];
        state.inGroup = {};
        Object.keys(data.members).forEach(function (gid) { data.members[gid].forEach(function (m) { state.inGroup[m.id] = gid; }); });
        state.hidden = {}; state.pinned = {}; state.cursors = {};
        state.filters = { kinds: {}, types: {}, since: "", until: "" };
        var where = {};
        (saved.nodes || []).forEach(function (n) { where[n.key] = n; });
        nodes.add(fresh.nodes.map(function (n) {
          var copy = prepare(n, "node");
          if (where[n.id]) { copy.x = where[n.id].x; copy.y = where[n.id].y; }
          return copy;
        }));
        edges.add(fresh.edges.map(function (e) { return prepare(e, "edge"); }));
        (saved.nodes || []).forEach(function (n) {
          if (!nodes.get(n.key)) { return; }
          if (n.hidden) { state.hidden[n.key] = true; }
          if (n.pinned) { pin([n.key]); }
        });
        var f = saved.filters || {};
        Object.keys(f.kinds || {}).forEach(function (k) { state.filters.kinds[k] = f.kinds[k] !== false; });
        Object.keys(f.types || {}).forEach(function (k) { state.filters.types[k] = f.types[k] !== false; });
        state.filters.since = f.since || ""; state.filters.until = f.until || "";
        $("cg-since").value = state.filters.since; $("cg-until").value = state.filters.until;
        state.tlp = "CLEAR";
        mark(fresh.tlp || "CLEAR");
        state.leftOut = fresh.leftOut || 0;
        notes.replaceChildren();
        (fresh.notes || []).forEach(note);
        refresh();
        network.fit({ animation: false });
        status("Reopened: " + nodes.length + " entities.");
        return nodes.length;
      }));
  }
  state.restore = restore;
  $("cg-open").addEventListener("change", function () {
    var file = $("cg-open").files[0];
    if (!file) { return; }
    file.text().then(function (text) {
      var saved;
      try { saved = JSON.parse(text); } catch (e) { status("Not a saved investigation (not JSON)."); return; }
      restore(saved);
    });
    $("cg-open").value = "";
  });

  // ---- a same-person candidate pair: confirm or reject (the analyst's decision, recorded with who and when)
  var DECIDE = "mutation($a: String!, $b: String!) { %s(a: $a, b: $b) { verdict analyst at score } }";
  function decide(verdict) {
    var pair = data.identity;
    if (!served) { return needServer(verdict === "confirmed" ? "Confirming" : "Rejecting"); }
    var field = verdict === "confirmed" ? "confirmIdentity" : "rejectIdentity";
    status(verdict === "confirmed" ? "Confirming…" : "Rejecting…");
    return work(gql(DECIDE.replace("%s", field), { a: pair.a, b: pair.b }).then(function (answer) {
      var record = answer[field];
      pair.status = record.verdict + " by " + record.analyst + " at " + record.at;
      $("cg-decision").textContent = "Status: " + pair.status;
      status("Recorded: " + pair.status + ".");
      return record;
    }));
  }
  state.decide = decide;
  if (data.identity) {
    var decisionBox = el("div", "cg-decide");
    decisionBox.appendChild(el("p", null, "Status: " + data.identity.status)).id = "cg-decision";
    [["cg-confirm", "Confirm: one person", "confirmed"], ["cg-reject", "Reject: not one person", "rejected"]].forEach(function (b) {
      var button = el("button", null, b[1]);
      button.type = "button";
      button.id = b[0];
      if (!served) { button.title = "needs the server (crimegraph serve)"; }
      button.addEventListener("click", function () { decide(b[2]); });
      decisionBox.appendChild(button);
    });
    $("cg-measures").insertBefore(decisionBox, $("cg-measures").firstChild);
  }

  timings.built = performance.now() - started;
  if (data.states) { show(data.states.order[0]); } else { refresh(); }
  timings.refreshed = performance.now() - started;
  mark(data.tlp);
})();
