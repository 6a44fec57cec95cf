(function () {
  "use strict";
  // The index: every cluster is in #cluster-data as JSON; the table shows one page of the rows that
  // pass the filter, in the chosen order. Rows are built from text nodes only, never from markup.
  var data = document.getElementById("cluster-data");
  var box = document.getElementById("filter");
  if (data && box) {
    var all = JSON.parse(data.getAttribute("data-rows"));
    data.removeAttribute("data-rows");  // parsed: the page need not keep megabytes of text twice
    var size = parseInt(data.getAttribute("data-page-size"), 10) || 100;
    var body = document.querySelector("#clusters tbody");
    var heads = document.querySelectorAll("#clusters th[data-key]");
    var shown = document.getElementById("shown");
    var pageLabel = document.getElementById("page");
    var pager = document.querySelector(".pager");
    var hay = all.map(function (r) {
      return [r.id, r.origin, r.title, "origin by " + r.rule, r.sites, r.first, r.last].join("\n").toLowerCase();
    });
    var state = {query: "", hits: all.map(function (r, i) { return i; }), order: null, page: 0,
                 key: "size", kind: -1, dir: -1};
    var el = function (tag, text, cls) {
      var node = document.createElement(tag);
      if (text !== undefined && text !== null) { node.textContent = String(text); }
      if (cls) { node.className = cls; }
      return node;
    };
    var iso = function (text) { return el("bdi", text); };
    var link = function (r, child, cls) {
      var a = el("a", null, cls);
      a.setAttribute("href", r.page);
      a.appendChild(child);
      return a;
    };
    var row = function (r) {
      var tr = document.createElement("tr");
      var td = el("td");
      td.appendChild(link(r, document.createTextNode(String(r.id))));
      tr.appendChild(td);
      tr.appendChild(el("td", r.size, "num size"));
      td = el("td");
      td.appendChild(link(r, iso(r.origin), "origin"));
      if (r.title) { td.appendChild(el("br")); td.appendChild(el("span", null, "title")).appendChild(iso(r.title)); }
      td.appendChild(el("br"));
      td.appendChild(el("span", "origin by " + r.rule, "muted"));
      tr.appendChild(td);
      td = el("td");
      r.sites.split(", ").filter(Boolean).forEach(function (site, k) {
        if (k) { td.appendChild(document.createTextNode(", ")); }
        td.appendChild(iso(site));
      });
      tr.appendChild(td);
      td = el("td");
      td.appendChild(iso(r.first));
      if (r.last && r.last !== r.first) { td.appendChild(document.createTextNode(" to ")); td.appendChild(iso(r.last)); }
      tr.appendChild(td);
      r.kinds.forEach(function (v) { tr.appendChild(el("td", v === null ? "" : v, v ? "num" : "num zero")); });
      tr.appendChild(el("td", r.kept, "num"));
      tr.appendChild(el("td", r.partial, "num"));
      return tr;
    };
    var value = function (r) {
      var v = state.key === "kinds" ? r.kinds[state.kind] : state.key === "kept" ? r.kept_share : r[state.key];
      return v === null || v === undefined ? "" : v;
    };
    var compare = function (a, b) {
      var x = value(all[a]), y = value(all[b]);
      if (x === "" && y !== "") { return 1; }   // empty cells last, either way
      if (y === "" && x !== "") { return -1; }
      var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return c * state.dir || all[a].id - all[b].id;
    };
    // Each row is built once, when first shown (the first page came with the HTML), and then
    // hidden or shown and moved into place: a keystroke touches two pages of rows, not 30,000.
    var made = {};
    var visible = [];
    Array.prototype.forEach.call(body.rows, function (tr, i) { made[i] = tr; visible.push(tr); });
    var render = function () {
      var pages = Math.max(1, Math.ceil(state.hits.length / size));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      visible.forEach(function (tr) { tr.hidden = true; });
      visible = state.hits.slice(state.page * size, (state.page + 1) * size).map(function (i) {
        var tr = made[i] || (made[i] = row(all[i]));
        tr.hidden = false;
        body.appendChild(tr);
        return tr;
      });
      if (shown) { shown.textContent = String(state.hits.length); }
      if (pageLabel) { pageLabel.textContent = "page " + (state.page + 1) + " of " + pages; }
      if (pager) { pager.hidden = all.length <= size; }
    };
    var filter = function () {
      var query = box.value.toLowerCase();
      var words = query.split(/\s+/).filter(Boolean);
      // A longer query only narrows the rows: search the rows that passed the last one.
      var pool = query.indexOf(state.query) === 0 && state.query ? state.hits : state.order || all.map(function (r, i) { return i; });
      state.hits = pool.filter(function (i) {
        var text = hay[i];
        for (var k = 0; k < words.length; k += 1) { if (text.indexOf(words[k]) < 0) { return false; } }
        return true;
      });
      state.query = query;
      state.page = 0;
      render();
    };
    box.addEventListener("input", filter);
    heads.forEach(function (th) {
      th.querySelector("button").addEventListener("click", function () {
        var key = th.getAttribute("data-key");
        var kind = th.hasAttribute("data-kind") ? parseInt(th.getAttribute("data-kind"), 10) : -1;
        var same = key === state.key && kind === state.kind;
        var numeric = key !== "origin" && key !== "sites" && key !== "first";
        state.dir = same ? -state.dir : numeric ? -1 : 1;
        state.key = key;
        state.kind = kind;
        state.order = all.map(function (r, i) { return i; }).sort(compare);
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        var keep = {};
        state.hits.forEach(function (i) { keep[i] = true; });
        state.hits = state.order.filter(function (i) { return keep[i]; });
        state.page = 0;
        render();
      });
    });
    document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
    document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });
  } else if (box) {  // a table of the page's own rows (the sites page): hide those that do not match
    var rows = document.querySelectorAll("#clusters tbody tr, #sites tbody tr");
    var shownRows = document.getElementById("shown");
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var n = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !hit;
        if (hit) { n += 1; }
      });
      if (shownRows) { shownRows.textContent = String(n); }
    });
  }
  // Sortable tables: a heading's button sorts by its column (numbers as numbers), again to reverse.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    table.querySelectorAll("thead th").forEach(function (th, col) {
      var button = th.querySelector("button[data-sort]");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var numeric = button.getAttribute("data-sort") === "num";
        var down = th.getAttribute("aria-sort") !== "descending";
        table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var key = function (row) {
          var value = row.cells[col].getAttribute("data-value") || "";
          return numeric ? parseFloat(value) || 0 : value.toLowerCase();
        };
        var sorted = Array.prototype.slice.call(body.rows).sort(function (a, b) {
          var x = key(a), y = key(b);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return down ? -order : order;
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  var views = document.querySelector(".views");
  if (views) {
    views.hidden = false;
    views.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) { return; }
      if (button.hasAttribute("data-view")) {
        document.body.classList.remove("v-sbs", "v-inline");
        var view = button.getAttribute("data-view");
        if (view) { document.body.classList.add("v-" + view); }
      } else if (button.hasAttribute("data-folds")) {
        var open = button.getAttribute("data-folds") === "open";
        document.querySelectorAll("details.fold").forEach(function (d) { d.open = open; });
      }
    });
  }
}());
