"""Every pydantic model of the grader, one module per concern: `base` (shared types), `rubric` (validated once),
`answer` (the run configuration and what the pipeline's stages hand each other), `report` (the JSON contract,
`schema_version`), `dataset` (human-graded data), `calibration` (the calibration file), `agreement` (agreement
results and calibration summaries).

Models are frozen and reject unknown fields, so a typo in a rubric fails at load time with its field path.
Import them from here (`from grader.models import Report`); modules inside this package import each other
by module, never through this file.
"""

from __future__ import annotations

from grader.models.base import (  # noqa: F401
    SCHEMA_VERSION, QuestionSource, SectionMethod, GENERIC_QUESTION_ID, STAGE_IDS, Unit, Positive, NonNegative, Identifier, Frozen,
)
from grader.models.rubric import (  # noqa: F401
    Stage, TimePlan, Dimension, CoverageConfig, TimingConfig, InferenceConfig, SectionsConfig, QuestionDetectionConfig, KeyPoint, Penalty, Question, GamingId, MatchSpec, DetectorSpec, NegationConfig, SubstanceConfig, GamingFlag, DetectionConfig, VerifierConfig, VERIFIER_FEATURES, Anchor, MistakeSpec, LanguageConfig, Rubric, DEFAULT_SECTIONS,
)
from grader.models.answer import (  # noqa: F401
    RunConfig, Segment, Answer, Sentence, SectionedAnswer, NOT_EVIDENCE_ROLES, PointMatch, StageCoverage, QuestionChoice,
)
from grader.models.report import (  # noqa: F401
    AnswerInfo, Overall, DimensionScore, SectionReport, DetectorHit, TimelineEntry, TimeAllocation, MistakeHit, CalibrationInfo, Report, InputFailure, InputWarning, BatchResult,
)
from grader.models.dataset import (  # noqa: F401
    ScaleType, Scale, DatasetQuestion, GradedAnswer, Dataset,
)
from grader.models.calibration import (  # noqa: F401
    CalibrationConfig, FittedEstimator, DimensionModel, NeighbourSet, Calibration,
)
from grader.models.agreement import (  # noqa: F401
    MetricValue, Rounded, MetricValues, Interval, ReportScale, round4, to_json, Band, Confusion, Disagreement, RaterSummary, RaterAgreement, HumanAlpha, RatingsAgreement, AgreementReport, DimensionCalibration, CrossValidation, CalibrationSummary, PredictionRow,
)
