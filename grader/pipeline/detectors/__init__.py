"""Detector *kinds*: how a concept is recognised in a sentence. Each kind is a module here with a pydantic
params model (`extra="forbid"`) and a compiled form, registered by name in `KINDS`.

A detector *instance* lives in the rubric (`detectors:`): an id, home stage(s), the dimensions it feeds, and a
`match:` list of kind-tagged entries such as `{kind: phrase, phrases: [inverse propensity]}`; the concept is
found where any entry matches. Kinds work on `LemmaSentence`s (lower-cased tokens with lookup lemmas), so this
package imports nothing heavy; `grader.pipeline.detect` builds the sentences with spaCy and runs the compiled kinds.

>>> sorted(KINDS.names())
['near', 'phrase', 'regex']
"""

from __future__ import annotations

from grader.pipeline.detectors.base import (  # noqa: F401
    Span, Forms, Term, forms, LemmaSentence, Compiled, Kind, KINDS, register, JOINERS, TermIndex, strip_joiners, find_sequence,
)
from grader.pipeline.detectors import near, phrase, regex  # noqa: E402,F401  (registers the kinds)
