"""Reading human-graded datasets (CSV): whatever the rows, a dataset or one clear error.
(The readers' other tests are in tests/test_calibration.py for now.)"""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.errors import GraderError
from grader.inputs.datasets import read_dataset


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(st.sampled_from(list('ab1.,"\n x-')), max_size=6), min_size=1, max_size=5),
                     max_size=5), header=st.sampled_from(["answer_id,question_id,answer,score", "answer_id,answer",
                                                          "question_id,question,reference_answer"]))
def test_dataset_reader_on_any_csv_only_raises_grader_errors(tmp_path_factory, rows, header):
    d = tmp_path_factory.mktemp("ds")
    (d / "questions.csv").write_text("question_id,question,reference_answer\nq1,Why?,Because.\n")
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    (d / "answers.csv").write_text(header + "\n" + buf.getvalue())
    try:
        ds = read_dataset(d)
    except GraderError as exc:
        assert "\n" not in str(exc)
        return
    assert ds.answers and all(a.question_id == "q1" for a in ds.answers)
