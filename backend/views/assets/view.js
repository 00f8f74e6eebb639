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

  function prepare(items) {
    return items.map(function (item) {
      var copy = Object.assign({}, item);
      copy.title = tooltip(item.heading, item.tip);
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

  var nodes = new vis.DataSet(prepare(data.nodes));
  var edges = new vis.DataSet(prepare(data.edges));
  var container = document.getElementById("cg-network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
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
