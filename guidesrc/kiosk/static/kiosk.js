// guides kiosk: follow a print job, guard the 打印 button, go home after a while unused.
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

  document.addEventListener("DOMContentLoaded", function () {
    restartIdle();
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
