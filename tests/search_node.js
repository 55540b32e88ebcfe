// Runs queries through guidesrc/site/static/search.js in node, against index files on disk:
// node tests/search_node.js SEARCH_JS INDEX_DIR QUERIES_JSON LIMIT → JSON [{query, hits, suggestions}]
const fs = require("fs"), path = require("path");
const [scriptPath, dir, queriesPath, limit] = process.argv.slice(2);
const GuideSearch = require(path.resolve(scriptPath));
const engine = new GuideSearch((name) =>
  Promise.resolve(JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"))));
const queries = JSON.parse(fs.readFileSync(queriesPath, "utf8"));
(async () => {
  const out = [];
  for (const q of queries) {
    const started = process.hrtime.bigint();
    const r = await engine.search(q, Number(limit));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    out.push({query: q, hits: r.hits, suggestions: r.suggestions, ms});
  }
  console.log(JSON.stringify(out));
})();
