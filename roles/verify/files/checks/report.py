"""The score as each audience may read it (a view: the JSON report), and the view as a terminal
table, Markdown and JUnit XML.

The instructor's view names every check and its diagnosis, a failed cause leading the failures it
explains. The learner's view names no check (their names say where the faults are) and no
diagnosis: per scenario and level, how many checks still fail, and the symptoms a learner could see
for themselves, in the lab's language."""

from __future__ import annotations

import unicodedata
from typing import Any
from xml.etree import ElementTree

from findings import Finding, found, text
from scoring import LEVELS, Result

# A learner sees this many symptoms of one check; the rest are counted.
SYMPTOMS_SHOWN = 4
# What either view tells of a scenario, beside its title and what still fails.
SCENARIO_FIELDS = ("name", "points", "earned", "level", "minutes", "time_box", "hints", "hint_cost", "given_up", "timed_out")
# The scenarios' table (texts.yml's words).
COLUMNS = ("col-scenario", "col-points", "col-level", "col-time", "col-hints", "col-failing")


def say(value: Any, language: str) -> str:
    """A text of the catalog or of the role's variables: one string, or one per language."""
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return str(value)


def words(key: str, language: str, **params: Any) -> str:
    return text("report", key, language, **params)


def level_title(level: str, language: str) -> str:
    return words(f"level-{level}", language)


def hints_taken(row: dict[str, Any], language: str) -> str:
    if not row.get("hints"):
        return "-"
    return words("hints", language, count=row["hints"], cost=f"{row['hint_cost']:g}")


def attempted(row: dict[str, Any], language: str) -> list[str]:
    """The level reached (or given up), the time taken and the hints bought, as table cells."""
    if row.get("given_up") or row.get("timed_out"):
        level = words("given-up" if row.get("given_up") else "timed-out", language)
    else:
        level = level_title(row["level"], language)
    return [level, time_taken(row, language), hints_taken(row, language)]


def time_taken(row: dict[str, Any], language: str) -> str:
    if row.get("minutes") is None:
        return "-"
    over = " " + words("over", language) if row["minutes"] > row["time_box"] else ""
    return words("minutes", language, minutes=f"{row['minutes']:.0f}", box=row["time_box"]) + over


def required(scored: dict[str, Any]) -> set[str]:
    """The checks that fail the run: the scored scenarios' and the success criteria's."""
    of_scenarios = {c for row in scored["scenarios"] for c in row["failed"] + row["blocked"]}
    of_criteria = {c for row in scored.get("criteria", []) for c in row["failed"] + row["blocked"]}
    return of_scenarios | of_criteria


def where_it_counts(check: str, scored: dict[str, Any], areas: list[dict[str, Any]], language: str) -> str:
    """Where a check counts, as a learner may be told: the first scenario (or matrix row) and level
    that holds it, or the success criterion."""
    for area in areas:
        for level, checks in area.get("checks", {}).items():
            if check in checks:
                return f"{area['name']} · {level_title(level, language)}"
    for row in scored.get("criteria", []):
        if check in row["failed"] + row["blocked"]:
            return say(row["group_title"], language)
    return words("elsewhere", language)


def findings_of(results: dict[str, Result], scored: dict[str, Any], wanted: set[str], *, of_run: bool) -> list[Result]:
    """The checks that did not pass, of the run (scenarios and criteria) or beyond it (the matrix's
    other rows), failed causes first."""
    causes = scored.get("causes", {})
    chosen = [r for r in results.values() if r.outcome != "passed" and (r.check in wanted) == of_run]
    return sorted(chosen, key=lambda r: r.check not in causes)


def instructor_lines(results: dict[str, Result], scored: dict[str, Any], *, of_run: bool, unfold: bool) -> list[dict[str, str]]:
    """(mark, check, text) of each finding: a failed cause leads, the failures it explains folded
    beneath (counted, or listed with unfold); checks blocked for the same reason share one line."""
    causes: dict[str, list[str]] = scored.get("causes", {})
    folded = {check for explained in causes.values() for check in explained}
    lines: list[dict[str, str]] = []
    blocked: dict[str, list[str]] = {}
    for result in findings_of(results, scored, required(scored), of_run=of_run):
        if result.check in folded:
            continue
        if result.outcome == "blocked":
            blocked.setdefault(" ".join(f.diagnosis for f in result.findings) or "(no detail)", []).append(result.check)
            continue
        lines += [{"mark": "FAIL", "check": result.check, "text": f.diagnosis} for f in result.findings or [_no_detail()]]
        if result.check in causes:
            explained = [results[c] for c in causes[result.check] if c in results]
            if unfold:
                lines += [{"mark": "", "check": f"  {c.check}", "text": f.diagnosis} for c in explained for f in c.findings]
            else:
                count = sum(len(c.findings) or 1 for c in explained)
                which = ", ".join(c.check for c in explained)
                lines.append(
                    {
                        "mark": "",
                        "check": "",
                        "text": f"  and {count} more findings this explains ({which}): -e verify_unfold=true lists them",
                    }
                )
    lines += [{"mark": "BLOCKED", "check": ", ".join(checks), "text": reason} for reason, checks in blocked.items()]
    return lines


def learner_lines(
    results: dict[str, Result], scored: dict[str, Any], areas: list[dict[str, Any]], language: str, *, of_run: bool
) -> list[dict[str, str]]:
    """(mark, where, symptom) of each finding, a few per check; checks blocked for the same reason
    share one line."""
    lines: list[dict[str, str]] = []
    blocked: dict[str, list[str]] = {}
    for result in findings_of(results, scored, required(scored), of_run=of_run):
        where = where_it_counts(result.check, scored, areas, language)
        shown = [f.symptom.render(language) for f in result.findings or [_no_detail()]]
        if result.outcome == "blocked":
            blocked.setdefault(" ".join(shown), []).append(where)
            continue
        mark = words("fail", language)
        lines += [{"mark": mark, "check": where, "text": symptom} for symptom in dict.fromkeys(shown[:SYMPTOMS_SHOWN])]
        if len(shown) > SYMPTOMS_SHOWN:
            lines.append({"mark": "", "check": "", "text": "  " + words("more", language, count=len(shown) - SYMPTOMS_SHOWN)})
    lines += [
        {"mark": words("blocked", language), "check": ", ".join(dict.fromkeys(places)), "text": reason}
        for reason, places in blocked.items()
    ]
    # two checks may see one symptom (a claim that cannot be provisioned for two reasons): said once
    unique = {(line["check"], line["text"]): line for line in lines if line["check"]}
    return [line for line in lines if not line["check"] or unique.pop((line["check"], line["text"]), None)]


def _no_detail() -> Finding:
    return found("no-detail", "(no detail)")


def failing_by_level(row: dict[str, Any], area: dict[str, Any], language: str) -> str:
    """How many checks of each level still fail, e.g. "root 2 of 4" (the learner's view)."""
    missing = set(row["failed"] + row["blocked"])
    parts = []
    for level, _ in LEVELS:
        checks = area.get("checks", {}).get(level, [])
        if failing := sum(check in missing for check in checks):
            parts.append(words("failing", language, level=level_title(level, language), failing=failing, total=len(checks)))
    return ", ".join(parts) or "-"


def view(
    scored: dict[str, Any],
    results: dict[str, Result],
    areas: list[dict[str, Any]],
    audience: str,
    language: str,
) -> dict[str, Any]:
    """The report as one audience may read it (what verify.json holds). `areas` are the scored
    scenarios of the catalog and the rows of the evaluation matrix, with their checks."""
    learner = audience == "learner"
    by_name = {area["name"]: area for area in areas}
    passed = sum(r.outcome == "passed" for r in results.values())
    shown: dict[str, Any] = {
        "audience": audience,
        "language": language,
        "score": scored["score"],
        "out_of": scored["out_of"],
        "seconds": scored["seconds"],
        "checks_passed": passed,
        "checks_run": len(results),
        "criteria": [
            {
                "group": row["group"],
                "group_title": say(row["group_title"], language),
                "name": row["name"],
                "title": say(row["title"], language),
                "met": row["met"],
                **({} if learner else {"failed": row["failed"], "blocked": row["blocked"]}),
            }
            for row in scored.get("criteria", [])
        ],
        "scenarios": [
            {
                **{k: row[k] for k in SCENARIO_FIELDS},
                "title": say(row["title"], language),
                **(
                    {"still_failing": failing_by_level(row, by_name[row["name"]], language)}
                    if learner
                    else {"failed": row["failed"], "blocked": row["blocked"], "statement": row["statement"]}
                ),
            }
            for row in scored["scenarios"]
        ],
        "matrix": [
            {
                **{k: row[k] for k in ("name", "earned", "level")},
                "title": say(row["title"], language),
                **({} if learner else {"failed": row["failed"], "blocked": row["blocked"]}),
            }
            for row in scored["matrix"]
        ],
    }
    for key, of_run in (("still_wrong", True), ("beyond_repairs", False)):
        shown[key] = (
            learner_lines(results, scored, areas, language, of_run=of_run)
            if learner
            else instructor_lines(results, scored, of_run=of_run, unfold=scored.get("unfold", False))
        )
    if not learner:
        shown["causes"] = scored.get("causes", {})
        shown["checks"] = [
            {
                "check": r.check,
                "outcome": r.outcome,
                "seconds": r.seconds,
                "findings": [f.view(audience, language) for f in r.findings],
            }
            for r in results.values()
        ]
    return shown


def width(cell: str) -> int:
    """Columns a text takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in cell)


def pad(cell: str, columns: int) -> str:
    return cell + " " * max(columns - width(cell), 0)


def aligned(rows: list[list[str]], right: frozenset[int] = frozenset(), indent: str = "") -> list[str]:
    """Rows as lines of columns two spaces apart, each as wide as its widest cell."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            (" " * (widths[i] - width(cell)) + cell) if i in right else (cell + " " * (widths[i] - width(cell)))
            for i, cell in enumerate(row)
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def table(shown: dict[str, Any]) -> str:
    language = shown["language"]
    learner = shown["audience"] == "learner"
    out = [words("heading", language, score=f"{shown['score']:g}", out_of=shown["out_of"]), ""]
    if shown["criteria"]:
        out.append(words("criteria", language))
        for row in shown["criteria"]:
            mark = words("met" if row["met"] else "not-met", language)
            why = "" if row["met"] or learner else f" ({', '.join(row['failed'] + row['blocked'])})"
            out.append(f"  {pad(mark, 9)}{row['group_title']}: {row['title']}{why}")
        out.append("")
    rows = [[words(c, language) for c in COLUMNS]]
    for row in shown["scenarios"]:
        failing = row["still_failing"] if learner else ", ".join(row["failed"] + row["blocked"]) or "-"
        rows.append([row["name"], f"{row['earned']:g}/{row['points']:g}", *attempted(row, language), failing])
    out += aligned(rows, right=frozenset({1}))
    rows = [[words("matrix", language), words("col-share", language), words("col-level", language)]]
    rows += [[row["title"], f"{row['earned']:g}%", level_title(row["level"], language)] for row in shown["matrix"]]
    out += ["", *aligned(rows, right=frozenset({1}))]
    if statements := [row for row in shown["scenarios"] if row.get("statement")]:
        out += ["", words("statements", language)]
        out += [f"  {row['name']}: {row['statement']}" for row in statements]
    for key in ("still_wrong", "beyond_repairs"):
        if lines := shown[key]:
            out += ["", words(key, language)]
            for line in lines:
                head = f"{line['check']}: " if line["check"] else ""
                out.append(f"  {pad(line['mark'], 9)}{head}{line['text']}")
    out += [
        "",
        words("summary", language, passed=shown["checks_passed"], total=shown["checks_run"], seconds=f"{shown['seconds']:g}"),
        "",
    ]
    return "\n".join(out)


def markdown(shown: dict[str, Any]) -> str:
    language = shown["language"]
    learner = shown["audience"] == "learner"
    heading = words("heading", language, score=f"{shown['score']:g}", out_of=shown["out_of"])
    out = [f"# {heading}", ""]
    if shown["criteria"]:
        out += [f"## {words('criteria', language)}", ""]
        for row in shown["criteria"]:
            mark = words("met" if row["met"] else "not-met", language)
            why = "" if row["met"] or learner else f" ({', '.join(row['failed'] + row['blocked'])})"
            out.append(f"- **{mark}** {row['group_title']}: {row['title']}{why}")
        out.append("")
    out += ["| " + " | ".join(words(c, language) for c in COLUMNS) + " |", "|---|---:|---|---|---|---|"]
    for row in shown["scenarios"]:
        failing = row["still_failing"] if learner else ", ".join(f"`{c}`" for c in row["failed"] + row["blocked"]) or "-"
        cells = [row["title"], f"{row['earned']:g} / {row['points']:g}", *attempted(row, language), failing]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", f"## {words('matrix', language)}", "", f"| | {words('col-share', language)} | {words('col-level', language)} |"]
    out += ["|---|---:|---|"]
    out += [f"| {row['title']} | {row['earned']:g}% | {level_title(row['level'], language)} |" for row in shown["matrix"]]
    if statements := [row for row in shown["scenarios"] if row.get("statement")]:
        out += ["", f"## {words('statements', language)}", ""]
        out += [f"- **{row['name']}**: {row['statement']}" for row in statements]
    for key in ("still_wrong", "beyond_repairs"):
        if lines := shown[key]:
            out += ["", f"## {words(key, language)}", ""]
            for line in lines:
                if line["check"]:
                    out.append(f"- **{line['mark'].lower()}** `{line['check'].strip()}`: {line['text']}")
                else:
                    out.append(f"  - {line['text'].strip()}")
    out.append("")
    return "\n".join(out)


def junit(shown: dict[str, Any], suite: str) -> str:
    """JUnit XML: one test case per scenario and level in the learner's view (their checks unnamed),
    one per check in the instructor's."""
    cases: list[tuple[str, str, list[str], str]] = []  # (class, name, failures, outcome)
    if shown["audience"] == "learner":
        for row in shown["scenarios"]:
            cases.append((row["name"], "points", [row["still_failing"]] if row["earned"] < row["points"] else [], "failed"))
        blocked = words("blocked", shown["language"])
        for line in shown["still_wrong"] + shown["beyond_repairs"]:
            if line["check"]:
                cases.append(("symptoms", line["check"], [line["text"]], "blocked" if line["mark"] == blocked else "failed"))
    else:
        for check in shown["checks"]:
            failures = [f["diagnosis"] for f in check["findings"]]
            cases.append(("checks", check["check"], failures if check["outcome"] != "passed" else [], check["outcome"]))
    root = ElementTree.Element("testsuite", name=suite, tests=str(len(cases)))
    for classname, name, failures, outcome in cases:
        case = ElementTree.SubElement(root, "testcase", classname=classname, name=name)
        if failures:
            tag = "skipped" if outcome == "blocked" else "failure"
            ElementTree.SubElement(case, tag, message=failures[0]).text = "\n".join(failures)
    root.set("failures", str(sum(1 for c in root if c.find("failure") is not None)))
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
