// guides kiosk: follow a print job, guard the 打印 button, go home after a while unused,
// and type a search with the on-screen pinyin keyboard (touch alone).
(function () {
  "use strict";
  var IDLE_MS = 180000; // back to the home page after three minutes without a touch
  var POLL_MS = 1000;

  var idle;
  function restartIdle() {
    clearTimeout(idle);
    if (location.pathname !== "/") {
      idle = setTimeout(function () { location.href = "/"; }, IDLE_MS);
    }
  }
  ["pointerdown", "keydown", "scroll"].forEach(function (name) {
    document.addEventListener(name, restartIdle, { passive: true });
  });

  function follow(status) {
    var job = status.getAttribute("data-job");
    function ask() {
      fetch("/api/print/" + encodeURIComponent(job), { cache: "no-store", credentials: "same-origin" })
        .then(function (answer) { return answer.json(); })
        .then(function (body) {
          status.textContent = body.message;
          status.setAttribute("data-state", body.state);
          if (!body.done) { setTimeout(ask, POLL_MS); }
        })
        .catch(function () {
          status.textContent = "暂时无法获取打印状态，请稍候。";
          setTimeout(ask, POLL_MS * 3);
        });
    }
    ask();
  }

  // The on-screen keyboard (templates/keyboard.html): each key types into the search box.
  function keyboard(pad, input) {
    var max = Number(input.getAttribute("maxlength")) || 40;
    pad.hidden = false;
    input.setAttribute("inputmode", "none"); // no system keyboard over ours on a touch screen
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("button[data-key]");
      if (!key) { return; }
      var what = key.getAttribute("data-key");
      var chars = Array.from(input.value);
      if (what === "backspace") {
        input.value = chars.slice(0, -1).join("");
      } else if (what === "clear") {
        input.value = "";
      } else if (what === "search") {
        if (input.value.trim()) { input.form.submit(); }
        return;
      } else if (chars.length < max) {
        input.value += what;
      }
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    restartIdle();
    var pad = document.getElementById("keyboard");
    var input = document.getElementById("search");
    if (pad && input) { keyboard(pad, input); }
    var status = document.getElementById("print-status");
    if (status && status.getAttribute("data-job")) { follow(status); }
    var form = document.querySelector("form.print-form");
    if (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button");
        button.disabled = true;
        button.textContent = "正在发送到打印机……";
      });
    }
  });
})();
