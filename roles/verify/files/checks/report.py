"""The score as a terminal table and as a Markdown report (the JSON is the scored dict itself)."""

from __future__ import annotations

from typing import Any

from scoring import LEVEL_TITLES


def time_taken(row: dict[str, Any]) -> str:
    if row.get("minutes") is None:
        return "-"
    over = " (over)" if row["minutes"] > row["time_box"] else ""
    return f"{row['minutes']:.0f}/{row['time_box']} min{over}"


def findings(scored: dict[str, Any], *, scenarios: bool) -> list[tuple[str, str, str]]:
    """(mark, checks, sentence) of every check that did not pass: the scenarios' checks, or the
    evaluation matrix's others (what would improve the platform beyond the repairs). Checks
    blocked for the same reason (the API server is down) share one line."""
    of_scenarios = {c for row in scored["scenarios"] for c in row["failed"] + row["blocked"]}
    lines: list[tuple[str, str, str]] = []
    blocked: dict[str, list[str]] = {}
    for check in scored["checks"]:
        if (check["check"] in of_scenarios) != scenarios or check["outcome"] == "passed":
            continue
        if check["outcome"] == "blocked":
            blocked.setdefault(" ".join(check["findings"]) or "(no detail)", []).append(check["check"])
            continue
        lines += [("FAIL", check["check"], finding) for finding in check["findings"] or ["(no detail)"]]
    lines += [("BLOCKED", ", ".join(checks), reason) for reason, checks in blocked.items()]
    return lines


def table(scored: dict[str, Any]) -> str:
    out = [f"\nCloudMart Lab verification: {scored['score']:g} / {scored['out_of']} points", ""]
    out.append(f"{'scenario':<16}{'points':>12}  {'level':<12}{'time':<18}checks not passed")
    for row in scored["scenarios"]:
        points = f"{row['earned']:g}/{row['points']:g}"
        missing = ", ".join(row["failed"] + row["blocked"]) or "-"
        out.append(f"{row['name']:<16}{points:>12}  {LEVEL_TITLES[row['level']]:<12}{time_taken(row):<18}{missing}")
    out += ["", f"{'evaluation matrix':<32}{'share':>8}  level"]
    for row in scored["matrix"]:
        out.append(f"{row['title']:<32}{row['earned']:>7g}%  {LEVEL_TITLES[row['level']]}")
    for title, of_scenarios in (("What is still wrong:", True), ("Beyond the repairs (evaluation matrix):", False)):
        if lines := findings(scored, scenarios=of_scenarios):
            out += ["", title]
            out += [f"  {mark:<8}{check}: {sentence}" for mark, check, sentence in lines]
    passed = sum(c["outcome"] == "passed" for c in scored["checks"])
    out += ["", f"{passed} of {len(scored['checks'])} checks passed in {scored['seconds']:g}s", ""]
    return "\n".join(out)


def markdown(scored: dict[str, Any]) -> str:
    out = [f"# CloudMart Lab verification: {scored['score']:g} / {scored['out_of']}", ""]
    out += ["| scenario | points | level | time | checks not passed |", "|---|---:|---|---|---|"]
    for row in scored["scenarios"]:
        missing = ", ".join(f"`{c}`" for c in row["failed"] + row["blocked"]) or "-"
        points = f"{row['earned']:g} / {row['points']:g}"
        out.append(f"| {row['title']} | {points} | {LEVEL_TITLES[row['level']]} | {time_taken(row)} | {missing} |")
    out += ["", "## Evaluation matrix", "", "| area | share | level |", "|---|---:|---|"]
    out += [f"| {row['title']} | {row['earned']:g}% | {LEVEL_TITLES[row['level']]} |" for row in scored["matrix"]]
    for title, of_scenarios in (("What is still wrong", True), ("Beyond the repairs (evaluation matrix)", False)):
        if lines := findings(scored, scenarios=of_scenarios):
            out += ["", f"## {title}", ""]
            out += [f"- **{mark.lower()}** `{check}`: {sentence}" for mark, check, sentence in lines]
    out.append("")
    return "\n".join(out)
