// crimegraph view: builds the vis-network from the JSON data block. Every value that came with the data is
// put into the page as text (textContent, canvas labels), never parsed as HTML.
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("crimegraph-data").textContent);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
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

  // Tooltip rows stay in the data and become DOM text only when hovered: cheap for 10,000 edges.
  var tips = { node: {}, edge: {} };
  function prepare(items, kind) {
    return items.map(function (item) {
      var copy = Object.assign({}, item);
      tips[kind][item.id] = [item.heading, item.tip];
      delete copy.heading;
      delete copy.tip;
      return copy;
    });
  }

  document.getElementById("cg-title").textContent = data.title;

  var notes = document.getElementById("cg-notes");
  (data.notes || []).forEach(function (text) { notes.appendChild(el("p", "cg-note", text)); });

  var legend = document.getElementById("cg-legend");
  (data.legend || []).forEach(function (entry) {
    var li = el("li");
    var swatch = el("span", "cg-swatch" + (entry.line ? " cg-line" : entry.round ? " cg-round" : ""));
    if (entry.line) { swatch.style.borderTopColor = entry.color; if (entry.dashed) { swatch.style.borderTopStyle = "dashed"; } }
    else { swatch.style.background = entry.color; }
    li.appendChild(swatch);
    li.appendChild(el("span", null, entry.label));
    legend.appendChild(li);
  });

  if (data.measures) {
    var box = document.getElementById("cg-measures");
    box.appendChild(el("h2", null, data.measures.title));
    var table = el("table");
    var head = el("tr");
    data.measures.columns.forEach(function (name) { head.appendChild(el("th", null, name)); });
    table.appendChild(head);
    data.measures.rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (value) { tr.appendChild(el("td", null, value)); });
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  var nodes = new vis.DataSet(prepare(data.nodes, "node"));
  var edges = new vis.DataSet(prepare(data.edges, "edge"));
  var container = document.getElementById("cg-network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);

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
  var state = { ready: false, stableMs: null, state: null, nodes: nodes, edges: edges, network: network };
  window.crimegraph = state;

  function done() {
    if (state.ready) { return; }
    state.ready = true;
    state.stableMs = performance.now() - started;
    if (data.physics) { network.setOptions({ physics: { enabled: false } }); }
    document.body.setAttribute("data-ready", "1");
  }
  if (data.physics) {
    network.once("stabilizationIterationsDone", done);
    network.once("stabilized", done);
  } else {
    network.once("afterDrawing", done);
  }

  // States (a takedown plan: before, after removal, after recovery): which nodes and edges each hides.
  function show(name) {
    var hidden = data.states.hidden[name];
    var hideNodes = {}, hideEdges = {};
    hidden.nodes.forEach(function (id) { hideNodes[id] = true; });
    hidden.edges.forEach(function (id) { hideEdges[id] = true; });
    nodes.update(nodes.getIds().map(function (id) { return { id: id, hidden: !!hideNodes[id] }; }));
    edges.update(edges.getIds().map(function (id) { return { id: id, hidden: !!hideEdges[id] }; }));
    state.state = name;
    Array.prototype.forEach.call(document.querySelectorAll("#cg-controls button"), function (button) {
      button.className = button.getAttribute("data-state") === name ? "cg-active" : "";
    });
  }
  state.show = function (name) { show(name); };
  state.visible = function () {
    return {
      nodes: nodes.get({ filter: function (n) { return !n.hidden; } }).length,
      edges: edges.get({ filter: function (e) { return !e.hidden; } }).length
    };
  };
  if (data.states) {
    var controls = document.getElementById("cg-controls");
    data.states.order.forEach(function (name) {
      var button = el("button", null, data.states.labels[name]);
      button.setAttribute("type", "button");
      button.setAttribute("data-state", name);
      button.addEventListener("click", function () { show(name); });
      controls.appendChild(button);
    });
    show(data.states.order[0]);
  }
})();
