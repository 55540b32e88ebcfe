/* 长辈版 (elder mode) of the online hall: larger type, higher contrast, one column.
   Loaded in <head> so the choice applies before the page is drawn. The choice is remembered in
   localStorage; ?elder=1 or #elder in an address turns it on, ?elder=0 off. Without JavaScript
   the #elder link still works for the page it is on (site.css: :target). */
(function () {
  "use strict";
  var KEY = "guidesrc-elder";
  var root = document.documentElement;
  function remembered() {
    try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  function set(on) {
    root.classList.toggle("elder", on);
    try {
      if (on) { localStorage.setItem(KEY, "1"); } else { localStorage.removeItem(KEY); }
    } catch (e) { /* storage refused: the choice holds for this page only */ }
  }
  root.classList.add("js");
  var asked = new URLSearchParams(location.search).get("elder");
  if (asked === "1" || location.hash === "#elder") { set(true); }
  else if (asked === "0") { set(false); }
  else { root.classList.toggle("elder", remembered()); }
  document.addEventListener("DOMContentLoaded", function () {
    var on = document.getElementById("elder-on");
    var off = document.getElementById("elder-off");
    if (on) { on.addEventListener("click", function (e) { e.preventDefault(); set(true); }); }
    if (off) { off.addEventListener("click", function (e) { e.preventDefault(); set(false); }); }
  });
})();
