"""`grader agree --fail-under`: a gate fails when a rater is worse than its limit, in the metric's own direction.
Bias and SMD are signed differences, best at zero: a gate on them bounds their size, both ways."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from grader.agreement.gates import failed_gates, parse_gates
from grader.agreement.metrics import METRICS
import grader.api
from grader.cli import main
from grader.errors import GraderError


def _ratings(tmp_path, shift: float) -> str:
    """Two human raters who agree, and a machine `shift` away from them on every item (grades 1-4)."""
    rows = ["item_id,rater,dimension,grade"]
    for i, g in enumerate([2, 3, 3, 2, 4, 3, 2, 3], start=1):
        rows += [f"a{i},h1,overall,{g}", f"a{i},h2,overall,{g}", f"a{i},tool,overall,{g + shift:g}"]
    path = tmp_path / "ratings.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize("metric", ["bias", "smd"])
def test_signed_metrics_are_gated_by_their_size(metric):
    m = METRICS.get(metric)
    assert m.better == "zero"
    assert m.worse_than(-0.9, 0.1) and m.worse_than(0.9, 0.1)
    assert not m.worse_than(-0.05, 0.1) and not m.worse_than(0.05, 0.1)


def test_higher_and_lower_is_better_metrics_keep_their_direction():
    assert METRICS.get("qwk").worse_than(0.6, 0.7) and not METRICS.get("qwk").worse_than(0.8, 0.7)
    assert METRICS.get("rmse").worse_than(0.8, 0.7) and not METRICS.get("rmse").worse_than(0.6, 0.7)


@pytest.mark.parametrize("shift, code", [(-0.9, 1), (0.9, 1), (0.0, 0)])
def test_agree_fails_a_bias_gate_whichever_way_the_machine_leans(tmp_path, shift, code):
    result = CliRunner().invoke(main, ["agree", _ratings(tmp_path, shift), "--machine", "tool", "--fail-under",
                                       "bias=0.1", "--out", str(tmp_path / "out"), "--bootstrap", "0"])
    assert result.exit_code == code, result.output
    if code:
        assert "tool bias" in result.output and "further from 0 than 0.1" in result.output


def test_gates_parse_and_report_one_line_each(tmp_path):
    gates = parse_gates(["qwk=0.99", " bias = 0.2"])
    assert [(g.metric.name, g.limit) for g in gates] == [("qwk", 0.99), ("bias", 0.2)]
    result = grader.api.agree(_ratings(tmp_path, -1), machines=["tool"], fail_under=gates, bootstrap=0)
    assert [f.split(" ", 2)[:2] for f in result.failures] == [["overall:", "tool"]] * 2
    assert result.failures[1] == "overall: tool bias -1.0000 further from 0 than 0.2"
    assert failed_gates(result.report.dimensions, gates[1:], ["h1"]) == []  # the humans agree: no bias
    with pytest.raises(GraderError, match="expected METRIC=NUMBER"):
        parse_gates(["qwk"])
    with pytest.raises(GraderError, match="unknown agreement metric 'kappa'"):
        parse_gates(["kappa=0.5"])
