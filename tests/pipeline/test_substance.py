"""What a mention is worth: concept credit by stage, bare list items, repeated sentences (hashing embedder,
default rubric)."""

from grader.pipeline.substance import standalone_hits

from helpers import grade_text


def test_off_stage_mention_earns_less_than_in_stage(toolkit, default_rubric):
    sentence = "We calibrate the predicted click probabilities with isotonic regression on a held-out day."
    in_stage = grade_text(f"## Training\n\n{sentence}\n", toolkit, default_rubric)
    off_stage = grade_text(f"## Clarifying questions\n\n{sentence}\n", toolkit, default_rubric)
    cred = {name: [h for h in r.detectors if h.id == "calibration"][0]
            for name, r in (("in", in_stage), ("off", off_stage))}
    assert cred["in"].hit and cred["off"].hit and cred["in"].credit == 1.0
    assert cred["off"].credit == default_rubric.detection.off_stage_credit < 1.0


def test_repeated_sentences_earn_nothing_more(toolkit, default_rubric):
    para = "We predict the click probability for each ad and rank ads by predicted CTR times the bid."
    once = grade_text(para, toolkit, default_rubric)
    many = grade_text("\n\n".join([para] * 6), toolkit, default_rubric)
    assert "repetition" in {m.id for m in many.mistakes}
    assert many.overall.score < once.overall.score


def test_bare_list_items_are_not_hits(default_rubric, nlp):
    hits = standalone_hits(["Two-tower model", "Cold start (new users, new videos)",
                            "A two-tower model embeds users and videos separately."], default_rubric, nlp)
    assert hits[0] == set() and hits[1] == set() and "two_tower" in hits[2]
