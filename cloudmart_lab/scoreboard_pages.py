"""The scoreboard's pages, as HTML made from the history: the instructor's board (every learner's
scenarios, points, time, hints and the diagnoses), the projector's (ranks and points only) and each
learner's own (the learner's view of their last verification: symptoms, never a diagnosis, the
challenge's clock, and the buttons for a hint and for giving up). Each page fetches its board again
every few seconds and swaps it in, so it changes without a reload."""

from __future__ import annotations

import functools
import html
import itertools
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

from cloudmart_lab.paths import REPO
from cloudmart_lab.scoreboard_store import Action, Verification

LANGUAGES = ("en", "ko")
VERIFY_TEXTS = REPO / "roles" / "verify" / "files" / "checks" / "texts.yml"
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "instructor-title": "CloudMart Lab workshop: instructor",
        "projector-title": "CloudMart Lab workshop",
        "learner-title": "CloudMart Lab: {learner}",
        "rank": "Rank",
        "learner": "Learner",
        "points": "Points",
        "verified": "Verified",
        "times": "{count} times",
        "not-yet": "not verified yet",
        "verify-failed": "the last verification did not run: {problem}",
        "level-none": "broken",
        "minutes": "{minutes} of {box} min",
        "hints": "hints: {count} (-{cost})",
        "given-up": "given up",
        "timed-out": "out of time",
        "diagnoses": "What still fails (instructor only)",
        "nothing-fails": "nothing fails",
        "plot": "Points over time",
        "scenario": "Scenario",
        "level": "Level",
        "time": "Time",
        "hints-column": "Hints",
        "still-failing": "What you would see",
        "clock": "Now: {scenario}, {minutes} min left",
        "clock-paused": "Now: {scenario}, paused with {minutes} min left",
        "clock-over": "The challenge is over.",
        "clock-none": "No challenge is under way.",
        "ask-hint": "Next hint",
        "give-up": "Give up this scenario",
        "give-up-sure": "Give up {scenario}? It is repaired for you and scores 0.",
        "said": "What the lab said",
        "csv": "History as CSV",
        "working": "working...",
    },
    "ko": {
        "instructor-title": "CloudMart Lab 워크숍: 강사",
        "projector-title": "CloudMart Lab 워크숍",
        "learner-title": "CloudMart Lab: {learner}",
        "rank": "순위",
        "learner": "학습자",
        "points": "점수",
        "verified": "검증",
        "times": "{count}회",
        "not-yet": "아직 검증되지 않음",
        "verify-failed": "마지막 검증이 실행되지 않음: {problem}",
        "level-none": "고장",
        "minutes": "{box}분 중 {minutes}분",
        "hints": "힌트: {count}개 (-{cost})",
        "given-up": "포기",
        "timed-out": "시간 초과",
        "diagnoses": "아직 실패하는 것 (강사 전용)",
        "nothing-fails": "실패하는 것 없음",
        "plot": "시간에 따른 점수",
        "scenario": "시나리오",
        "level": "단계",
        "time": "시간",
        "hints-column": "힌트",
        "still-failing": "보이는 증상",
        "clock": "현재: {scenario}, {minutes}분 남음",
        "clock-paused": "현재: {scenario}, 일시 정지 ({minutes}분 남음)",
        "clock-over": "챌린지가 끝났습니다.",
        "clock-none": "진행 중인 챌린지가 없습니다.",
        "ask-hint": "다음 힌트",
        "give-up": "이 시나리오 포기",
        "give-up-sure": "{scenario}을(를) 포기할까요? 대신 복구되고 0점이 됩니다.",
        "said": "랩의 응답",
        "csv": "기록 CSV",
        "working": "처리 중...",
    },
}
# One colour per learner in the plot, reused round the room.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c8ced6; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.level-none { background: #fde2e1; } .level-basic { background: #fff4d6; } .level-root { background: #eaf6d8; }
.level-prevention { background: #d3f0da; }
.problem { color: #a4161a; } .muted { color: #5c6670; font-size: .9em; }
.projector td, .projector th { font-size: 1.6rem; padding: .5rem 1.2rem; }
#said { white-space: pre-wrap; border: 1px solid #c8ced6; padding: .6rem; min-height: 2rem; background: #f7f9fb; }
"""


@functools.cache
def report_words() -> dict[str, dict[str, str]]:
    """verify's own words for its report (the levels' names), so the board says what the terminal says."""
    loaded: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(VERIFY_TEXTS.read_text(encoding="utf-8"))
    return loaded["report"]


def words(language: str, key: str, **params: Any) -> str:
    return WORDS[language][key].format(**params)


def page(title: str, board: str, board_url: str, refresh_seconds: float, extra: str = "") -> str:
    """A whole page: its title, its board (fetched again from board_url every refresh_seconds and
    swapped in) and what stays put below it (the learner's buttons)."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>
<div id="board">{board}</div>
{extra}
<script>
const boardUrl = {_js(board_url)};
async function refresh() {{
  try {{
    const answer = await fetch(boardUrl, {{cache: "no-store"}});
    if (answer.ok) document.getElementById("board").innerHTML = await answer.text();
  }} catch (error) {{ /* the scoreboard restarting: try again at the next turn */ }}
}}
setInterval(refresh, {int(refresh_seconds * 1000)});
</script>
</body></html>
"""


def ranked(latest: dict[str, Verification], learners: Sequence[str]) -> list[tuple[int, str, float | None]]:
    """(rank, learner, score): best first; equal scores share a rank; not yet scored last."""
    scores = {name: latest[name].score if name in latest else None for name in learners}
    order = sorted(learners, key=lambda name: (scores[name] is None, -(scores[name] or 0), name))
    rows: list[tuple[int, str, float | None]] = []
    for place, name in enumerate(order, start=1):
        same = rows and rows[-1][2] == scores[name]
        rows.append((rows[-1][0] if same else place, name, scores[name]))
    return rows


def projector_board(latest: dict[str, Verification], learners: Sequence[str], language: str) -> str:
    head = _row("th", [words(language, "rank"), words(language, "learner"), words(language, "points")])
    rows = [
        _row("td", [str(rank), name, _points(score, latest.get(name))], numeric={0, 2})
        for rank, name, score in ranked(latest, learners)
    ]
    return f'<table class="projector">{head}{"".join(rows)}</table>'


def instructor_board(
    latest: dict[str, Verification],
    problems: dict[str, Verification],
    counts: dict[str, int],
    scores: Iterable[tuple[str, str, float]],
    learners: Sequence[str],
    language: str,
) -> str:
    scenarios = _scenario_names(latest.values())
    head = _row("th", [words(language, "learner"), words(language, "points"), *scenarios, words(language, "verified")])
    rows, diagnoses = [], []
    for name in learners:
        last = latest.get(name)
        scenario_cells = [_scenario_cell(_scenario(last, s), language) for s in scenarios] if last else [""] * len(scenarios)
        verified = _verified_cell(last, problems.get(name), counts.get(name, 0), language)
        rows.append(f"<tr><td>{html.escape(name)}</td><td class='num'>{_points(last.score if last else None, last)}</td>")
        rows[-1] += "".join(scenario_cells) + f"<td>{verified}</td></tr>"
        if last and last.instructor_view:
            diagnoses.append(_diagnoses(name, last.instructor_view, language))
    return (
        f"<table class='instructor'>{head}{''.join(rows)}</table>"
        f"<h2>{html.escape(words(language, 'plot'))}</h2>{plot(list(scores), learners)}"
        f"<h2>{html.escape(words(language, 'diagnoses'))}</h2>{''.join(diagnoses)}"
    )


def learner_board(
    name: str, last: Verification | None, problem: Verification | None, challenge: dict[str, Any] | None, language: str
) -> str:
    """The learner's own view: their points, the clock, each scenario and the symptoms still seen."""
    parts = [f"<p id='clock'>{html.escape(clock(challenge, language))}</p>"]
    if problem is not None:
        parts.append(f"<p class='problem'>{html.escape(words(language, 'verify-failed', problem=problem.problem))}</p>")
    if last is None or not last.learner_view:
        parts.append(f"<p class='muted'>{html.escape(words(language, 'not-yet'))}</p>")
        return "".join(parts)
    view = last.learner_view
    parts.append(f"<p><b>{html.escape(words(language, 'points'))}: {_points(view['score'], last)}</b>")
    parts.append(f" <span class='muted'>({html.escape(_clock_time(last.at))})</span></p>")
    head = _row(
        "th",
        [words(language, k) for k in ("scenario", "points", "level", "time", "hints-column", "still-failing")],
    )
    rows = [
        _row(
            "td",
            [
                f"{row['name']}: {row.get('title', '')}",
                f"{row['earned']} / {row['points']}",
                _level(row, language),
                words(language, "minutes", minutes=row.get("minutes", 0), box=row.get("time_box", "")),
                words(language, "hints", count=row.get("hints", 0), cost=row.get("hint_cost", 0)),
                str(row.get("still_failing", "")),
            ],
            numeric={1},
            css=_level_class(row),
        )
        for row in view.get("scenarios", [])
    ]
    symptoms = "".join(
        f"<li>{html.escape(line.get('check', ''))}: {html.escape(line.get('text', ''))}</li>"
        for line in view.get("still_wrong", [])
    )
    parts.append(f"<table class='learner'>{head}{''.join(rows)}</table>")
    parts.append(f"<ul class='symptoms'>{symptoms}</ul>" if symptoms else "")
    return "".join(parts)


def learner_controls(scenarios: Sequence[str], actions: Sequence[Action], language: str) -> str:
    """The hint and give-up buttons, and what the lab said to the last one (kept below the board)."""
    options = "".join(f"<option>{html.escape(s)}</option>" for s in scenarios)
    last = actions[-1].said if actions else ""
    sure = {s: words(language, "give-up-sure", scenario=s) for s in scenarios}
    return f"""<h2>{html.escape(words(language, "ask-hint"))} / {html.escape(words(language, "give-up"))}</h2>
<p><select id="scenario">{options}</select>
<button id="hint" onclick="act('hint')">{html.escape(words(language, "ask-hint"))}</button>
<button id="giveup" onclick="act('giveup')">{html.escape(words(language, "give-up"))}</button></p>
<h2>{html.escape(words(language, "said"))}</h2><div id="said">{html.escape(last)}</div>
<script>
const sure = {_js(sure)};
async function act(kind) {{
  const scenario = document.getElementById("scenario").value;
  if (kind === "giveup" && !confirm(sure[scenario])) return;
  document.getElementById("said").textContent = {_js(words(language, "working"))};
  const answer = await fetch(location.pathname.replace(/\\/$/, "") + "/" + kind,
    {{method: "POST", headers: {{"Content-Type": "application/x-www-form-urlencoded"}},
      body: "scenario=" + encodeURIComponent(scenario)}});
  document.getElementById("said").textContent = await answer.text();
  refresh();
}}
</script>"""


def clock(challenge: dict[str, Any] | None, language: str, at: datetime | None = None) -> str:
    """Where the learner's challenge stands: the scenario under way and the minutes left in its box."""
    if not challenge:
        return words(language, "clock-none")
    if challenge.get("finished_at"):
        return words(language, "clock-over")
    current = next((s for s in challenge.get("scenarios", []) if s.get("presented_at") and not s.get("outcome")), None)
    if current is None or not current.get("deadline"):
        return words(language, "clock-none")
    paused = challenge.get("paused_at")
    until = _parsed(paused) if paused else (at or datetime.now(UTC))
    left = round(max((_parsed(current["deadline"]) - until).total_seconds(), 0) / 60, 1)
    return words(language, "clock-paused" if paused else "clock", scenario=current["name"], minutes=left)


def plot(scores: Sequence[tuple[str, str, float]], learners: Sequence[str], width: int = 720, height: int = 260) -> str:
    """Every learner's points over time, a step line each (a score holds until the next
    verification, up to the newest one of the room), with a legend on the right."""
    if not scores:
        return "<svg width='0' height='0'></svg>"
    times = [_parsed(at).timestamp() for _, at, _ in scores]
    first, last = min(times), max(times)
    span = max(last - first, 1.0)
    top = max(max(score for _, _, score in scores), 1.0)
    pad, legend_width = 40, 140
    right = width - legend_width

    def x(t: float) -> float:
        return pad + (t - first) / span * (right - pad)

    def y(score: float) -> float:
        return height - pad - score / top * (height - 2 * pad)

    lines, legend = [], []
    for index, name in enumerate(learners):
        colour = COLOURS[index % len(COLOURS)]
        own = [(t, score) for (learner, _, score), t in zip(scores, times, strict=True) if learner == name]
        if own:
            steps = [f"{x(own[0][0]):.1f},{y(own[0][1]):.1f}"]
            for (_, before), (t, score) in itertools.pairwise(own):
                steps += [f"{x(t):.1f},{y(before):.1f}", f"{x(t):.1f},{y(score):.1f}"]
            steps.append(f"{x(last):.1f},{y(own[-1][1]):.1f}")
            lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{' '.join(steps)}'/>")
        legend.append(f"<text x='{right + 12}' y='{pad + 16 * index}' fill='{colour}' font-size='13'>{html.escape(name)}</text>")
    axes = (
        f"<line x1='{pad}' y1='{height - pad}' x2='{right}' y2='{height - pad}' stroke='#888'/>"
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' stroke='#888'/>"
        f"<text x='{pad - 4}' y='{pad + 4}' text-anchor='end' font-size='11'>{top:g}</text>"
        f"<text x='{pad - 4}' y='{height - pad}' text-anchor='end' font-size='11'>0</text>"
        f"<text x='{pad}' y='{height - pad + 16}' font-size='11'>{_clock_time(_moment(first))}</text>"
        f"<text x='{right}' y='{height - pad + 16}' text-anchor='end' font-size='11'>{_clock_time(_moment(last))}</text>"
    )
    return f"<svg class='plot' width='{width}' height='{height}' role='img'>{axes}{''.join(lines)}{''.join(legend)}</svg>"


def _scenario_names(verifications: Iterable[Verification]) -> list[str]:
    names: dict[str, None] = {}
    for verification in verifications:
        for row in verification.instructor_view.get("scenarios", []):
            names.setdefault(row["name"])
    return list(names)


def _scenario(last: Verification, name: str) -> dict[str, Any] | None:
    return next((row for row in last.instructor_view.get("scenarios", []) if row["name"] == name), None)


def _scenario_cell(row: dict[str, Any] | None, language: str) -> str:
    if row is None:
        return "<td></td>"
    details = [
        f"{row['earned']} / {row['points']}",
        words(language, "minutes", minutes=row.get("minutes", 0), box=row.get("time_box", "")),
        words(language, "hints", count=row.get("hints", 0), cost=row.get("hint_cost", 0)),
    ]
    return (
        f"<td class='{_level_class(row)}'><b>{html.escape(_level(row, language))}</b><br>{html.escape(' · '.join(details))}</td>"
    )


def _level(row: dict[str, Any], language: str) -> str:
    if row.get("given_up"):
        return words(language, "given-up")
    if row.get("timed_out") and not row.get("level"):
        return words(language, "timed-out")
    if not row.get("level") or row["level"] == "none":
        return words(language, "level-none")
    return report_words()[f"level-{row['level']}"][language]


def _level_class(row: dict[str, Any]) -> str:
    return f"level-{'none' if row.get('given_up') else row.get('level') or 'none'}"


def _verified_cell(last: Verification | None, problem: Verification | None, count: int, language: str) -> str:
    seen = html.escape(f"{_clock_time(last.at)} ({words(language, 'times', count=count)})") if last else ""
    if problem is not None:
        seen += f"<br><span class='problem'>{html.escape(words(language, 'verify-failed', problem=problem.problem))}</span>"
    return seen or html.escape(words(language, "not-yet"))


def _diagnoses(name: str, view: dict[str, Any], language: str) -> str:
    lines = [line for line in view.get("still_wrong", []) if line.get("text")]
    items = (
        "".join(f"<li><code>{html.escape(line.get('check', ''))}</code> {html.escape(line['text'])}</li>" for line in lines)
        or f"<li>{html.escape(words(language, 'nothing-fails'))}</li>"
    )
    return f"<details open><summary>{html.escape(name)}</summary><ul>{items}</ul></details>"


def _points(score: float | None, last: Verification | None) -> str:
    if score is None or last is None:
        return "-"
    return f"{score:g} / {last.out_of:g}"


def _row(cell: str, values: Sequence[str], numeric: frozenset[int] | set[int] = frozenset(), css: str = "") -> str:
    cells = "".join(
        f"<{cell}{' class=num' if i in numeric else ''}>{html.escape(value)}</{cell}>" for i, value in enumerate(values)
    )
    return f"<tr{f' class={css}' if css else ''}>{cells}</tr>"


def _clock_time(at: str) -> str:
    return _parsed(at).strftime("%H:%M:%S UTC")


def _moment(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parsed(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def _js(value: Any) -> str:
    """A value as a JavaScript literal inside a <script> (JSON, with "</" kept from ending it)."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
