/* Search without a server: looks the query's character n-grams up in the static index
   (search/meta.json, t<k>.json, d<k>.json; see guidesrc/site/search.py). No frameworks. */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var input = document.getElementById("search");
  var list = document.getElementById("results");
  var status = document.getElementById("search-status");
  if (!input || !list || !status) { return; }
  var RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}]+|[0-9a-z]+/gu;
  var cache = {};
  var latest = 0;

  function fetchJson(name) {
    if (!cache[name]) {
      cache[name] = fetch(root + "search/" + name).then(function (r) {
        if (!r.ok) { throw new Error(name + ": " + r.status); }
        return r.json();
      });
    }
    return cache[name];
  }
  function normalize(text) { return text.normalize("NFKC").toLowerCase(); }
  function queryTerms(text) {
    var terms = [];
    var runs = normalize(text).match(RUN) || [];
    runs.forEach(function (run) {
      var chars = Array.from(run);
      if (/^[0-9a-z]+$/.test(run) || chars.length === 1) { terms.push(run); return; }
      for (var i = 0; i + 1 < chars.length; i++) { terms.push(chars[i] + chars[i + 1]); }
    });
    return terms.filter(function (t, i) { return terms.indexOf(t) === i; });
  }
  function hash(term) {
    var h = 0;
    for (var ch of term) { h = (Math.imul(h, 31) + ch.codePointAt(0)) >>> 0; }
    return h;
  }
  function undelta(deltas) {
    var out = [], total = 0;
    for (var i = 0; i < deltas.length; i++) { total += deltas[i]; out.push(total); }
    return out;
  }
  function intersect(lists) {
    lists.sort(function (a, b) { return a.length - b.length; });
    var result = lists[0];
    for (var i = 1; i < lists.length; i++) {
      var set = new Set(lists[i]);
      result = result.filter(function (n) { return set.has(n); });
    }
    return result;
  }
  function say(text) { status.textContent = text; }
  function show(docs, query) {
    list.textContent = "";
    docs.forEach(function (d) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + "guides/" + encodeURIComponent(d[0]) + ".html";
      a.textContent = d[1];
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = d[2];
      li.appendChild(a);
      li.appendChild(meta);
      list.appendChild(li);
    });
  }
  function rank(docs, query) {
    var q = normalize(query).replace(/\s+/g, "");
    function score(d) {
      var name = normalize(d[1]);
      return name === q ? 0 : name.indexOf(q) === 0 ? 1 : name.indexOf(q) >= 0 ? 2 : 3;
    }
    return docs.sort(function (a, b) {
      return score(a) - score(b) || a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1);
    });
  }
  function search(query) {
    var ticket = ++latest;
    var terms = queryTerms(query);
    if (!terms.length) { list.textContent = ""; say("请输入要查找的事项名称、部门或主题。"); return; }
    say("正在搜索…");
    fetchJson("meta.json").then(function (meta) {
      return Promise.all(terms.map(function (t) {
        return fetchJson("t" + (hash(t) % meta.term_shards) + ".json").then(function (shard) {
          return undelta(shard[t] || []);
        });
      })).then(function (lists) {
        var numbers = intersect(lists);
        var size = meta.doc_shard_size;
        var shards = Array.from(new Set(numbers.map(function (n) { return Math.floor(n / size); })));
        return Promise.all(shards.map(function (k) { return fetchJson("d" + k + ".json"); }))
          .then(function (loaded) {
            var byShard = {};
            shards.forEach(function (k, i) { byShard[k] = loaded[i]; });
            return numbers.map(function (n) { return byShard[Math.floor(n / size)][n % size]; });
          });
      });
    }).then(function (docs) {
      if (ticket !== latest) { return; }
      var ranked = rank(docs, query);
      var shown = ranked.slice(0, 100);
      show(shown, query);
      say(ranked.length ? "找到 " + ranked.length + " 项" + (ranked.length > shown.length ? "，显示前 " + shown.length + " 项" : "") + "。"
        : "没有找到与“" + query + "”相关的事项。");
    }).catch(function () {
      if (ticket === latest) { say("搜索索引加载失败，请稍后再试，或在事项目录中查找。"); }
    });
  }
  var timer = null;
  var params = new URLSearchParams(window.location.search);
  var initial = params.get("q") || "";
  if (initial) { input.value = initial; search(initial); }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 150);
  });
  var form = input.form;
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = new URL(window.location.href);
      url.searchParams.set("q", input.value);
      window.history.replaceState(null, "", url);
      search(input.value);
    });
  }
})();
