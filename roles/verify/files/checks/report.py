"""The score as a terminal table and as a Markdown report (the JSON is the scored dict itself)."""

from __future__ import annotations

from typing import Any

from scoring import LEVEL_TITLES


def time_taken(row: dict[str, Any]) -> str:
    if row.get("minutes") is None:
        return "-"
    over = " (over)" if row["minutes"] > row["time_box"] else ""
    return f"{row['minutes']:.0f}/{row['time_box']} min{over}"


def required(scored: dict[str, Any]) -> set[str]:
    """The checks that fail the run: the scored scenarios' and the success criteria's."""
    of_scenarios = {c for row in scored["scenarios"] for c in row["failed"] + row["blocked"]}
    of_criteria = {c for row in scored.get("criteria", []) for c in row["failed"] + row["blocked"]}
    return of_scenarios | of_criteria


def findings(scored: dict[str, Any], *, scenarios: bool) -> list[tuple[str, str, str]]:
    """(mark, checks, sentence) of every check that did not pass: those that fail the run (the
    scenarios' and the success criteria's), or the evaluation matrix's others (what would improve
    the platform beyond the repairs). A failed cause leads, the failures it explains folded beneath
    it (counted, or listed with unfold); checks blocked for the same reason share one line."""
    wanted = required(scored)
    causes: dict[str, list[str]] = scored.get("causes", {})
    folded = {check for explained in causes.values() for check in explained}
    by_check = {check["check"]: check for check in scored["checks"]}
    lines: list[tuple[str, str, str]] = []
    blocked: dict[str, list[str]] = {}
    ordered = sorted(scored["checks"], key=lambda c: c["check"] not in causes)
    for check in ordered:
        name = check["check"]
        if (name in wanted) != scenarios or check["outcome"] == "passed" or name in folded:
            continue
        if check["outcome"] == "blocked":
            blocked.setdefault(" ".join(check["findings"]) or "(no detail)", []).append(name)
            continue
        lines += [("FAIL", name, finding) for finding in check["findings"] or ["(no detail)"]]
        if name in causes:
            explained = [by_check[c] for c in causes[name] if c in by_check]
            if scored.get("unfold"):
                lines += [("", f"  {c['check']}", finding) for c in explained for finding in c["findings"]]
            else:
                count = sum(len(c["findings"]) or 1 for c in explained)
                which = ", ".join(c["check"] for c in explained)
                lines.append(("", "", f"  and {count} more findings this explains ({which}): -e verify_unfold=true lists them"))
    lines += [("BLOCKED", ", ".join(checks), reason) for reason, checks in blocked.items()]
    return lines


def criteria_lines(scored: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            "met" if row["met"] else "NOT MET",
            f"{row['group_title']}: {row['title']}" + ("" if row["met"] else f" ({', '.join(row['failed'] + row['blocked'])})"),
        )
        for row in scored.get("criteria", [])
    ]


def table(scored: dict[str, Any]) -> str:
    out = [f"\nCloudMart Lab verification: {scored['score']:g} / {scored['out_of']} points", ""]
    if criteria := criteria_lines(scored):
        out.append("success criteria (성공 기준)")
        out += [f"  {mark:<9}{title}" for mark, title in criteria]
        out.append("")
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
            out += [f"  {mark:<8}{check}: {sentence}" if check else f"  {mark:<8}{sentence}" for mark, check, sentence in lines]
    passed = sum(c["outcome"] == "passed" for c in scored["checks"])
    out += ["", f"{passed} of {len(scored['checks'])} checks passed in {scored['seconds']:g}s", ""]
    return "\n".join(out)


def markdown(scored: dict[str, Any]) -> str:
    out = [f"# CloudMart Lab verification: {scored['score']:g} / {scored['out_of']}", ""]
    if criteria := criteria_lines(scored):
        out += ["## Success criteria (성공 기준)", ""]
        out += [f"- **{mark}** {title}" for mark, title in criteria]
        out.append("")
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
            out += [
                f"- **{mark.lower()}** `{check.strip()}`: {sentence}" if check else f"  - {sentence.strip()}"
                for mark, check, sentence in lines
            ]
    out.append("")
    return "\n".join(out)
