(function () {
  "use strict";
  var box = document.getElementById("filter");
  if (box) {
    var rows = document.querySelectorAll("#clusters tbody tr, #sites tbody tr");
    var shown = document.getElementById("shown");
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var n = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !hit;
        if (hit) { n += 1; }
      });
      if (shown) { shown.textContent = String(n); }
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
