(function () {
  "use strict";
  var box = document.getElementById("filter");
  if (box) {
    var rows = document.querySelectorAll("#clusters tbody tr");
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
