// Times guidesrc/site/static/search.js in node (V8, Chromium's engine) on a built index, and
// records the files each query fetches on its own (the first query of a visitor):
// node bench/search_bench.js SEARCH_JS INDEX_DIR QUERIES_JSON RUNS → JSON per query
const fs = require("fs"), path = require("path");
const [scriptPath, dir, queriesPath, runs] = process.argv.slice(2);
const GuideSearch = require(path.resolve(scriptPath));
const queries = JSON.parse(fs.readFileSync(queriesPath, "utf8"));
const parsed = {};  // the bytes are read and parsed once: the browser's cache after the download
function loader(seen) {
  return (name) => {
    seen.add(name);
    if (!parsed[name]) { parsed[name] = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")); }
    return Promise.resolve(parsed[name]);
  };
}
(async () => {
  const out = [];
  for (const q of queries) {
    const seen = new Set();
    const cold = new GuideSearch(loader(seen));  // a new visitor: fetches what the query needs
    const first = await cold.search(q, 10);
    const times = [];
    for (let i = 0; i < Number(runs); i++) {  // then the same query again, files loaded
      const started = process.hrtime.bigint();
      await cold.search(q, 10);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    out.push({query: q, files: Array.from(seen), hits: first.hits.map((h) => h.id),
      ms: times[Math.floor(times.length / 2)], max_ms: times[times.length - 1]});
  }
  console.log(JSON.stringify(out));
})();
