#!/usr/bin/env python3
"""Checks the workspace's layering against what docs/architecture.md says.

1. The dependency graph between workspace crates (normal dependencies; optional ones drawn as
   dotted edges) must be exactly the Mermaid graph in docs/architecture.md, so the diagram is the
   real graph. `--print` prints the graph as it should be written there.
2. Some crates must never reach certain crates, directly or through others (`cargo tree`):
   the use cases and the payments library stay free of the web framework, SQLite's backup
   wrapper, nix and the simulator; payments and domain take no other crate of the workspace.

Exit 0 when everything holds, 1 with the differences otherwise. Run from anywhere in the repo.
"""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

# crate -> crates it must not depend on, directly or transitively (normal dependencies).
FORBIDDEN = {
    "wetech-domain": ["diesel", "reqwest", "tokio", "actix-web", "wetech-*"],
    "wetech-payments": ["actix-web", "actix-http", "diesel", "rusqlite", "nix", "wetech-*"],
    # reqwest comes in only as the `sentry` client's transport for error reports (§14); the
    # payments crate, which other services import alone, does not depend on observability.
    "wetech-observability": ["wetech-*", "diesel"],
    "wetech-app": [
        "actix-web",
        "actix-http",
        "rusqlite",
        "nix",
        "config",
        "wetech-ops",
        "wetech-observability",
        "wetech-runtime",
        "wetech-gateway-sim",
        "wetech-test-db",
    ],
    "wetech-persistence": ["actix-web", "reqwest", "wetech-payments", "wetech-app", "wetech-ops"],
    "wetech-ops": ["actix-web", "wetech-app", "wetech-payments", "wetech-runtime"],
    # The sender and the messages know the outbox, not the use cases or the web framework.
    "wetech-mail": ["actix-web", "wetech-app", "wetech-payments", "wetech-ops", "wetech-test-db", "wetech-test-smtp"],
    # The throwaway-database, SMTP and Sentry test support are only ever dev-dependencies.
    "wetech-runtime": ["wetech-test-db", "wetech-test-smtp", "wetech-test-sentry"],
    "wetech-web": ["wetech-test-db", "wetech-test-smtp", "wetech-test-sentry"],
    "wetech-ops-cli": ["wetech-test-db", "wetech-test-smtp", "wetech-test-sentry"],
}


def short(name: str) -> str:
    return name.removeprefix("wetech-")


def workspace_graph() -> set[tuple[str, str, bool]]:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked", "--offline"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    meta = json.loads(out)
    names = {p["name"] for p in meta["packages"]}
    edges = set()
    for p in meta["packages"]:
        for d in p["dependencies"]:
            if d["name"] in names and d["kind"] is None:
                edges.add((short(p["name"]), short(d["name"]), bool(d["optional"])))
    return edges


def render(edges: set[tuple[str, str, bool]]) -> str:
    lines = ["graph TD"]
    for src, dst, optional in sorted(edges):
        arrow = "-.->" if optional else "-->"
        lines.append(f"    {src} {arrow} {dst}")
    return "\n".join(lines)


def documented_graph() -> str | None:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"```mermaid\n(graph TD\n.*?)\n```", text, re.S)
    return m.group(1).strip() if m else None


def transitive(crate: str) -> set[str]:
    out = subprocess.run(
        ["cargo", "tree", "-p", crate, "-e", "normal", "--prefix", "none", "-f", "{p}",
         "--locked", "--offline"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    deps = {line.split()[0] for line in out.splitlines() if line.strip()}
    deps.discard(crate)
    return deps


def main() -> int:
    edges = workspace_graph()
    expected = render(edges)
    if "--print" in sys.argv:
        print(expected)
        return 0
    failures = []
    documented = documented_graph()
    if documented is None:
        failures.append(f"{DOC.relative_to(ROOT)} has no ```mermaid graph TD block")
    elif documented != expected:
        failures.append(
            f"{DOC.relative_to(ROOT)}'s graph is not the real one; it should read:\n{expected}"
        )
    for crate, forbidden in FORBIDDEN.items():
        deps = transitive(crate)
        for pattern in forbidden:
            if pattern.endswith("*"):
                hits = sorted(d for d in deps if d.startswith(pattern[:-1]))
            else:
                hits = [pattern] if pattern in deps else []
            for hit in hits:
                failures.append(f"{crate} depends on {hit} (forbidden: see {pathlib.Path(__file__).name})")
    for failure in failures:
        print(f"architecture: {failure}", file=sys.stderr)
    if not failures:
        print(f"architecture: {len(edges)} workspace edges as documented; layering holds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
