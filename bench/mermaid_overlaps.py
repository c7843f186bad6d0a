"""Render `ozrelease graph --format mermaid` of the bundled ecosystem in headless Chromium
with Mermaid and count edge labels whose boxes overlap another label or a node (goal: none).

Needs Chromium and Mermaid's `mermaid.min.js` (`npm pack mermaid` and unpack it), given by
path; prints the count and the pairs.

    python bench/mermaid_overlaps.py --mermaid-js package/dist/mermaid.min.js [--chromium PATH]
        [--graph FILE]   (a .mmd file instead of the bundled ecosystem's graph)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PAGE = """<!doctype html><meta charset="utf-8"><body>
<pre class="mermaid" id="g">__GRAPH__</pre>
<pre id="out">pending</pre>
<script src="__JS__"></script>
<script>
mermaid.initialize({startOnLoad: false, flowchart: {htmlLabels: true}});
mermaid.run({querySelector: "#g"}).then(() => {
  const box = e => e.getBoundingClientRect();
  const labels = [...document.querySelectorAll("g.edgeLabel")]
    .filter(e => e.textContent.trim()).map(e => [e.textContent.trim(), box(e)]);
  const nodes = [...document.querySelectorAll("g.node")].map(e => [e.textContent.trim(), box(e)]);
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 &&
                        a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const found = [];
  labels.forEach(([t, a], i) => {
    labels.slice(i + 1).forEach(([u, b]) => { if (hit(a, b)) found.push([t, u]); });
    nodes.forEach(([u, b]) => { if (hit(a, b)) found.push([t, "node " + u]); });
  });
  document.getElementById("out").textContent = "RESULT " + JSON.stringify(
    {labels: labels.length, overlaps: found});
}).catch(e => { document.getElementById("out").textContent = "RESULT-ERROR " + e; });
</script>"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mermaid-js", type=Path, required=True)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--graph", type=Path, default=None)
    args = parser.parse_args()
    if args.graph is not None:
        graph = args.graph.read_text(encoding="utf-8")
    else:
        graph = subprocess.run(
            ["ozrelease", "--manifests", "bundled", "graph", "--format", "mermaid"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    escaped = graph.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "graph.html"
        page.write_text(
            PAGE.replace("__GRAPH__", escaped).replace(
                "__JS__", args.mermaid_js.resolve().as_uri()
            ),
            encoding="utf-8",
        )
        done = subprocess.run(
            [
                args.chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--allow-file-access-from-files",
                "--virtual-time-budget=20000",
                "--window-size=3000,3000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    match = re.search(r"RESULT(-ERROR)? (.*?)</pre>", done.stdout, re.S)
    if match is None or match.group(1):
        raise SystemExit(f"no result: {match.group(2) if match else done.stderr[-2000:]}")
    result = json.loads(match.group(2).replace("&quot;", '"').replace("&amp;", "&"))
    print(f"{result['labels']} edge labels, {len(result['overlaps'])} overlapping:")
    for a, b in result["overlaps"]:
        print(f"  {a!r} x {b!r}")


if __name__ == "__main__":
    main()
