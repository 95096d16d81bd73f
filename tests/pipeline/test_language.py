"""Which language an answer is in and how much of it is English (grader/pipeline/language.py)."""

from __future__ import annotations

import pytest

from grader.models import LanguageConfig
from grader.pipeline.language import identify, language_flag

CFG = LanguageConfig()
ENGLISH = ("We frame the problem as ranking: predict the probability that a user watches a video for more than "
           "thirty seconds, then sort the candidates by it. Two towers retrieve candidates from an ANN index.")
TERSE = "- Features\n  - user: age, country, device\n  - item: category, price, CTR 7d\n- Model: GBDT -> DNN\n- Eval: AUC, NDCG@10"
CHINESE = "我们把问题定义为排序：预测用户观看视频超过三十秒的概率，然后按概率对候选排序。双塔模型从近邻索引召回候选。"
FOREIGN = {
    "fr": "Nous formulons le problème comme un classement : prédire la probabilité qu'un utilisateur regarde une vidéo "
          "plus de trente secondes, puis trier les candidats selon cette probabilité.",
    "de": "Wir formulieren das Problem als Ranking: Wir sagen die Wahrscheinlichkeit voraus, dass ein Nutzer ein Video "
          "länger als dreißig Sekunden ansieht, und sortieren die Kandidaten danach.",
    "es": "Planteamos el problema como una clasificación: predecir la probabilidad de que un usuario vea un vídeo más "
          "de treinta segundos y ordenar los candidatos según ella.",
    "ru": "Мы формулируем задачу как ранжирование: предсказываем вероятность того, что пользователь смотрит видео "
          "дольше тридцати секунд, и сортируем кандидатов по ней.",
}


def test_english_prose_and_terse_english_notes_are_english():
    assert identify(ENGLISH, CFG) == ("en", 1.0)
    lang, share = identify(TERSE, CFG)
    assert lang == "en" and share >= CFG.min_english_share


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_other_languages_are_named_and_flagged(code):
    lang, share = identify(FOREIGN[code], CFG)
    assert lang == code and share < 0.2
    flag = language_flag(lang, share, CFG)
    assert flag is not None and flag.id == "not_english" and flag.deduction == 0.0 and code in flag.evidence


def test_chinese_counts_by_character_weight_and_mixed_text_is_in_between():
    assert identify(CHINESE, CFG)[0] == "zh"
    mixed_lang, mixed_share = identify(ENGLISH + "\n" + CHINESE, CFG)
    assert 0.2 < mixed_share < 0.8  # parallel text: about half of it, by content
    heavier = identify(ENGLISH + "\n" + CHINESE, CFG.model_copy(update={"cjk_weight": 1.0}))[1]
    assert heavier > mixed_share  # a CJK character counting as one letter would overstate the English share


def test_no_letters_is_english_and_flags_follow_the_threshold():
    assert identify("1. 2. 3.\n| --- |", CFG) == ("en", 1.0)
    assert language_flag("en", 0.81, CFG) is None and language_flag("en", 0.79, CFG) is not None


def test_a_mostly_chinese_answer_is_graded_with_the_flag_and_the_warning(grade_files, default_rubric):
    from grader.reports.csv_summary import render as csv_render
    from grader.reports.base import BatchContext
    from grader.reports.html_report import render as html_render
    from grader.reports.markdown import render as md_render
    from grader.models import RunConfig

    result = grade_files({"zh.md": f"---\nquestion: q01\n---\n## 模型\n{CHINESE}\n\n{CHINESE}\n\n## Serving\n{ENGLISH}\n",
                          "en.md": f"---\nquestion: q01\n---\n## Model\n{ENGLISH}\n"}, rubric=default_rubric)
    by = {r.answer.path.rsplit("/", 1)[-1]: r for r in result.reports}
    zh, en = by["zh.md"], by["en.md"]
    assert (zh.answer.language, en.answer.language) == ("zh", "en") and en.answer.english_share == 1.0
    assert [m.id for m in zh.mistakes if m.source == "language"] == ["not_english"]
    assert not [m for m in en.mistakes if m.source == "language"]
    assert "Scores unreliable" in md_render(zh) and "Scores unreliable" not in md_render(en)
    assert 'class="warn"' in html_render(zh) and 'class="warn"' not in html_render(en)
    rows = csv_render(result, BatchContext(names={r.answer.path: r.answer.path for r in result.reports},
                                           config=RunConfig())).splitlines()
    header = rows[0].split(",")
    assert header[-3:] == ["language", "english_share", "error"]
    assert {tuple(r.split(",")[-3:-1]) for r in rows[1:]} == {("zh", f"{zh.answer.english_share:.2f}"), ("en", "1.00")}
