/* Search without a server: the index of guidesrc/search (shards in search/, see
   guidesrc/search/shards.py) and its ranking, step for step as guidesrc/search/rank.py — a test
   runs the same queries through both. The engine (GuideSearch) needs only a loader of the
   index's JSON files; the page part below it shows the hits. No frameworks. */
(function (global) {
  "use strict";
  var CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3ffff}";
  var RUN = new RegExp("[" + CJK + "]+|[0-9a-z]+", "gu");
  var LETTERS = /^[a-z]+$/;
  var WEIGHTS = [[1, 16], [2, 8], [4, 6], [128, 5], [8, 4], [16, 3], [32, 2], [64, 1]];
  var MAX_TERMS = 12, MAX_SPLIT = 10, MAX_VARIANTS = 16, MAX_VARIANT_TERMS = 20, PINYIN_WORDS = 8, SYLLABLE_WORDS = 3;
  var EXACT_BONUS = 200, NAME_BONUS = 100;
  var LABELS = ["主题", "结果", "问答", "材料", "条件"];

  function chars(text) { return Array.from(text); }
  function isAscii(text) { return /^[\x00-\x7f]*$/.test(text); }
  function normalize(text) { return text.normalize("NFKC").toLowerCase(); }
  function clean(query, trad) {
    var simple = chars(normalize(query)).map(function (c) {
      return Object.prototype.hasOwnProperty.call(trad, c) ? trad[c] : c;
    }).join("");
    return (simple.match(RUN) || []).join(" ");
  }
  function stripStop(cleaned, phrases) {  /* the stop phrases of meta.json, longest first */
    var text = cleaned;
    phrases.forEach(function (p) { text = replaceAll(text, p, " "); });
    var stripped = (text.match(RUN) || []).join(" ");
    return stripped || cleaned;
  }
  function runTerms(run) {
    var cs = chars(run);
    if (isAscii(run) || cs.length === 1) { return [run]; }
    var out = [];
    for (var i = 0; i + 1 < cs.length; i++) { out.push(cs[i] + cs[i + 1]); }
    return out;
  }
  function queryTerms(text) {
    var out = [];
    text.split(" ").forEach(function (run) {
      if (!run) { return; }
      runTerms(run).forEach(function (t) {
        if (out.indexOf(t) < 0 && out.length < MAX_TERMS) { out.push(t); }
      });
    });
    return out;
  }
  function editDistance(a, b) {
    var x = chars(a), y = chars(b), previous = [], j;
    for (j = 0; j <= y.length; j++) { previous.push(j); }
    for (var i = 1; i <= x.length; i++) {
      var current = [i];
      for (j = 1; j <= y.length; j++) {
        current.push(Math.min(previous[j] + 1, current[j - 1] + 1,
          previous[j - 1] + (x[i - 1] !== y[j - 1] ? 1 : 0)));
      }
      previous = current;
    }
    return previous[y.length];
  }
  function hash(term) {
    var h = 0;
    for (var ch of term) { h = (Math.imul(h, 31) + ch.codePointAt(0)) >>> 0; }
    return h;
  }
  function bitLength(n) { return n === 0 ? 0 : 32 - Math.clz32(n); }
  function weight(mask) {
    for (var i = 0; i < WEIGHTS.length; i++) { if (mask & WEIGHTS[i][0]) { return WEIGHTS[i][1]; } }
    return 0;
  }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function replaceAll(text, word, other) { return text.split(word).join(other); }
  function expand(text, groups) {  /* as rank.expand: canonical words first, within the budget */
    var out = [text], combine = chars(text).length <= MAX_SPLIT, terms = new Set(queryTerms(text));
    (combine ? [true, false] : [true]).forEach(function (canonical) {
      groups.forEach(function (group) {
        (combine ? out.slice() : [text]).forEach(function (base) {
          group.forEach(function (word) {
            if (base.indexOf(word) < 0 || inside(word, group, base)) { return; }
            (canonical ? group.slice(0, 1) : group.slice(1)).forEach(function (other) {
              var variant = replaceAll(base, word, other);
              if (out.indexOf(variant) >= 0 || out.length >= MAX_VARIANTS) { return; }
              var more = new Set(terms);
              queryTerms(variant).forEach(function (t) { more.add(t); });
              var free = combine && base === text;  /* a short text's own variants */
              if (free || more.size <= Math.max(terms.size, MAX_VARIANT_TERMS)) { out.push(variant); terms = more; }
            });
          });
        });
      });
    });
    return out;
  }
  function inside(word, group, text) {  /* a longer word of the group holding it is in the text */
    return group.some(function (w) {
      return chars(w).length > chars(word).length && w.indexOf(word) >= 0 && text.indexOf(w) >= 0;
    });
  }
  function marked(text, terms) {
    var cs = chars(text), lower = cs.map(function (c) { return isAscii(c) ? c.toLowerCase() : c; });
    var hit = cs.map(function () { return false; });
    terms.forEach(function (term) {
      var k = chars(term).length;
      for (var i = 0; i + k <= cs.length; i++) {
        if (lower.slice(i, i + k).join("") === term) { for (var j = i; j < i + k; j++) { hit[j] = true; } }
      }
    });
    var first = hit.indexOf(true);
    if (first < 0) { return null; }
    var start = Math.max(0, first - 10), end = Math.min(cs.length, start + 40);
    var out = start > 0 ? "…" : "";
    for (var i = start; i < end; i++) {
      var opens = hit[i] && (i === start || !hit[i - 1]);
      var closes = hit[i] && (i === end - 1 || !hit[i + 1]);
      out += (opens ? "【" : "") + cs[i] + (closes ? "】" : "");
    }
    return out + (end < cs.length ? "…" : "");
  }
  function snippet(record, variant) {
    var terms = queryTerms(variant);
    for (var i = 0; i < LABELS.length; i++) {
      var shown = record[3 + i] ? marked(record[3 + i], terms) : null;
      if (shown !== null) { return LABELS[i] + "：" + shown; }
    }
    return marked(record[1], terms) || "";
  }

  /* load(name) → a promise of the parsed JSON file search/<name>. */
  function GuideSearch(load) {
    var cache = {};
    function file(name) {
      if (!cache[name]) { cache[name] = load(name); }
      return cache[name];
    }
    var self = this;
    self.meta = function () { return file("meta.json"); };
    function dictionary(meta) {
      var words = new Set();
      meta.themes.forEach(function (t) { words.add(normalize(t[0])); });
      meta.synonyms.forEach(function (g) { g.forEach(function (w) { words.add(w); }); });
      return Array.from(words).sort(cmp);
    }
    function postings(meta, terms) {
      return Promise.all(terms.map(function (t) {
        return file("t" + (hash(t) % meta.term_shards) + ".json").then(function (shard) {
          var deltas = shard[t] || [], out = [], n = 0;
          for (var i = 0; i < deltas.length; i += 2) { n += deltas[i]; out.push(n, deltas[i + 1]); }
          return out;
        });
      }));
    }
    function pinyinWords(meta, letters) {
      if (letters.length < 2 || meta.pinyin_shards.indexOf(letters.slice(0, 2)) < 0) {
        return Promise.resolve([]);
      }
      return file("p" + letters.slice(0, 2) + ".json").then(function (table) {
        var exact = table[letters] || [], known = new Set(dictionary(meta));
        var words = exact.filter(function (w) { return known.has(w); });
        if (!words.length) { words = exact; }
        if (words.length || letters.length < 3) { return words.slice(0, PINYIN_WORDS); }
        var keys = Object.keys(table).filter(function (k) { return k.indexOf(letters) === 0; });
        keys.sort(function (a, b) { return a.length - b.length || cmp(a, b); });
        var out = [];
        keys.forEach(function (k) { table[k].forEach(function (w) { if (out.indexOf(w) < 0) { out.push(w); } }); });
        return out.slice(0, PINYIN_WORDS);
      });
    }
    function scoreVariant(meta, variant, found, halve, named) {
      var terms = queryTerms(variant);
      return postings(meta, terms).then(function (lists) {
        var present = lists.filter(function (p) { return p.length > 0; });
        var m = present.length;
        var few = terms.length <= 4 ? 2 * m < terms.length : m < 2;
        if (m === 0 || few || (halve && m < terms.length)) { return; }
        var rarities = present.map(function (p) { return 1 + bitLength(Math.floor(meta.docs / (p.length / 2))); });
        var sum = rarities.reduce(function (x, y) { return x + y; }, 0);
        var need = m <= 3 ? sum : Math.floor((3 * sum + 4) / 5);
        var acc = new Map();
        present.forEach(function (p, k) {
          var rarity = rarities[k];
          for (var i = 0; i < p.length; i += 2) {
            var a = acc.get(p[i]);
            if (!a) { a = [0, 0, 0]; acc.set(p[i], a); }
            a[0] += rarity; a[1] += weight(p[i + 1]) * rarity; a[2] += p[i + 1] & 1;
          }
        });
        var length = chars(variant.replace(/ /g, "")).length;
        acc.forEach(function (a, number) {
          if (a[0] < need) { return; }
          var score = a[1];
          if (a[2] === terms.length) {
            score += meta.lengths[number] === length ? EXACT_BONUS : NAME_BONUS;
            if (named) { named.add(number); }
          }
          if (halve) { score = Math.floor(score / 2); }
          var before = found.get(number);
          if (score > (before ? before[0] : 0)) { found.set(number, [score, variant]); }
        });
      });
    }
    function serially(texts, step) {
      return texts.reduce(function (p, text) { return p.then(function () { return step(text); }); },
        Promise.resolve());
    }
    function searchedTexts(meta, query) {  /* the query and the words its pinyin reads as */
      var compact = query.replace(/ /g, "");
      if (!LETTERS.test(compact)) { return Promise.resolve([query]); }
      var pieces = query.split(" ");
      return Promise.all([pinyinWords(meta, compact)].concat(pieces.map(function (p) {
        return pinyinWords(meta, p).then(function (ws) { return ws.slice(0, SYLLABLE_WORDS); });
      }))).then(function (lists) {
        var words = lists[0], per = lists.slice(1);
        if (per.length > 1 && per.every(function (l) { return l.length > 0; })) {
          var combos = [[]];
          per.forEach(function (l) {
            var next = [];
            combos.forEach(function (c) { l.forEach(function (w) { next.push(c.concat([w])); }); });
            combos = next;
          });
          combos.forEach(function (c) {
            var text = c.join(" ");
            if (words.indexOf(text) < 0 && words.length < 2 * PINYIN_WORDS) { words.push(text); }
          });
        }
        return words.concat([query]);
      });
    }
    function match(meta, query) {  /* → [found, whether a name holds the query] */
      var found = new Map(), named = new Set();
      return searchedTexts(meta, query).then(function (ws) {
        var texts = [];
        ws.forEach(function (t) { texts = texts.concat(expand(t, meta.synonyms)); });
        return serially(texts, function (v) { return scoreVariant(meta, v, found, false, named); });
      }).then(function () { return [found, named.size > 0]; });
    }
    function corrections(meta, query) {
      var compact = query.replace(/ /g, "");
      var n = chars(compact).length;
      return dictionary(meta).filter(function (w) {
        return Math.abs(chars(w).length - n) <= 1 && editDistance(w, compact) === 1;
      });
    }
    function fuzzy(meta, query) {
      var found = new Map(), texts = [], compact = query.replace(/ /g, ""), cs = chars(compact), i;
      corrections(meta, query).forEach(function (w) { texts = texts.concat(expand(w, meta.synonyms)); });
      function sides(left, right) {
        return [left, right].filter(function (s) { return s.length >= 2; })
          .map(function (s) { return s.join(""); }).join(" ");
      }
      if (cs.length >= 3 && cs.length <= MAX_SPLIT && !isAscii(compact)) {
        for (i = 0; i < cs.length; i++) { texts.push(sides(cs.slice(0, i), cs.slice(i + 1))); }
        for (i = 1; i < cs.length; i++) { texts.push(sides(cs.slice(0, i), cs.slice(i))); }
      }
      texts = texts.filter(function (t) { return t; });
      return serially(texts, function (t) { return scoreVariant(meta, t, found, true); })
        .then(function () { return found; });
    }
    function records(meta, numbers) {
      var size = meta.doc_shard_size;
      return Promise.all(numbers.map(function (n) {
        return file("d" + Math.floor(n / size) + ".json").then(function (shard) { return shard[n % size]; });
      }));
    }
    /* → a promise of {hits: [{id, name, department, score, snippet}], suggestions, themes, hotline} */
    self.search = function (query, limit) {
      limit = limit || 10;
      return self.meta().then(function (meta) {
        var cleaned = stripStop(clean(query, meta.trad), meta.stop);
        var found = cleaned ? match(meta, cleaned).then(function (m) {
          if (m[1]) { return m[0]; }
          return fuzzy(meta, cleaned).then(function (more) {
            more.forEach(function (best, number) {
              var had = m[0].get(number);
              if (best[0] > (had ? had[0] : 0)) { m[0].set(number, best); }
            });
            return m[0];
          });
        }) : Promise.resolve(new Map());
        var firsts = new Set(meta.firsts);
        return found.then(function (f) {
          var numbers = Array.from(f.keys()).sort(function (a, b) {
            return f.get(b)[0] - f.get(a)[0] || (firsts.has(b) ? 1 : 0) - (firsts.has(a) ? 1 : 0) ||
              meta.lengths[a] - meta.lengths[b] || a - b;
          }).slice(0, limit);
          return records(meta, numbers).then(function (recs) {
            return {
              total: f.size,
              hits: recs.map(function (r, i) {
                var best = f.get(numbers[i]);
                return {id: r[0], name: r[1], department: r[2], score: best[0], snippet: snippet(r, best[1])};
              }),
              suggestions: f.size ? [] : suggestions(meta, query),
              themes: meta.themes, hotline: meta.hotline,
            };
          });
        });
      });
    };
    function offered(meta) {  /* the themes and the words of the groups that find a guide */
      var words = new Set(), unfound = new Set(meta.unfound);
      meta.themes.forEach(function (t) { words.add(normalize(t[0])); });
      meta.synonyms.forEach(function (g, i) { if (!unfound.has(i)) { g.forEach(function (w) { words.add(w); }); } });
      return Array.from(words).sort(cmp);
    }
    /* the nearest spellings among the words that find a guide */
    function suggestions(meta, query) {
      var compact = stripStop(clean(query, meta.trad), meta.stop).replace(/ /g, "");
      var mine = new Set(chars(compact));
      var near = offered(meta).filter(function (w) {
        return chars(w).some(function (c) { return mine.has(c); });
      }).map(function (w) { return [editDistance(w, compact), w]; });
      near.sort(function (a, b) { return a[0] - b[0] || cmp(a[1], b[1]); });
      return near.slice(0, 5).map(function (x) { return x[1]; });
    }
  }
  global.GuideSearch = GuideSearch;
  if (typeof module !== "undefined" && module.exports) { module.exports = GuideSearch; }
})(typeof window !== "undefined" ? window : globalThis);

/* The search page: the box, the hits with their department and snippet, and what to do when
   nothing is found (the nearest spellings, the themes, the hotline). */
(function () {
  "use strict";
  if (typeof document === "undefined") { return; }
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var input = document.getElementById("search");
  var list = document.getElementById("results");
  var status = document.getElementById("search-status");
  var help = document.getElementById("search-help");
  if (!input || !list || !status) { return; }
  var engine = new window.GuideSearch(function (name) {
    return fetch(root + "search/" + name).then(function (r) {
      if (!r.ok) { throw new Error(name + ": " + r.status); }
      return r.json();
    });
  });
  var latest = 0;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  function markedInto(parent, text) {  /* 【…】 → <mark>…</mark>, as text nodes: no HTML parsed */
    text.split(/(【[^】]*】)/).forEach(function (part) {
      if (!part) { return; }
      if (part.charAt(0) === "【" && part.charAt(part.length - 1) === "】") {
        parent.appendChild(el("mark", "", part.slice(1, -1)));
      } else { parent.appendChild(document.createTextNode(part)); }
    });
  }
  function link(text, query) {
    var a = el("a", "", text);
    a.href = root + "search.html?q=" + encodeURIComponent(query);
    return a;
  }
  function showHits(hits) {
    hits.forEach(function (h) {
      var li = el("li");
      var a = el("a", "", h.name);
      a.href = root + "guides/" + encodeURIComponent(h.id) + ".html";
      li.appendChild(a);
      li.appendChild(el("span", "meta", h.department));
      if (h.snippet) { var p = el("p", "snippet"); markedInto(p, h.snippet); li.appendChild(p); }
      list.appendChild(li);
    });
  }
  function showHelp(result) {
    if (!help) { return; }
    help.textContent = "";
    if (result.suggestions.length) {
      var s = el("p", "", "您是不是要找：");
      result.suggestions.forEach(function (w, i) { if (i) { s.appendChild(document.createTextNode("、")); } s.appendChild(link(w, w)); });
      help.appendChild(s);
    }
    help.appendChild(el("p", "", "也可以按主题查找："));
    var themes = el("ul", "theme-list");
    result.themes.slice(0, 12).forEach(function (t) { var li = el("li"); li.appendChild(link(t[0], t[0])); themes.appendChild(li); });
    help.appendChild(themes);
    help.appendChild(el("p", "hotline", "仍未找到？请拨打 " + result.hotline + " 政务服务便民热线咨询。"));
    help.hidden = false;
  }
  function search(query) {
    var ticket = ++latest;
    list.textContent = "";
    if (help) { help.textContent = ""; help.hidden = true; }
    if (!query.trim()) { status.textContent = "请输入要查找的事项名称、部门、主题或拼音。"; return; }
    status.textContent = "正在搜索…";
    engine.search(query, 20).then(function (result) {
      if (ticket !== latest) { return; }
      showHits(result.hits);
      if (result.total) {
        status.textContent = "找到 " + result.total + " 项" + (result.total > result.hits.length ? "，显示前 " + result.hits.length + " 项" : "") + "。";
      } else {
        status.textContent = "没有找到与“" + query + "”相关的事项。";
        showHelp(result);
      }
    }).catch(function () {
      if (ticket === latest) { status.textContent = "搜索索引加载失败，请稍后再试，或在事项目录中查找。"; }
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
