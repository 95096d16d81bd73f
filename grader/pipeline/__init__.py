"""The grading pipeline, one module per stage, pure (no file I/O): `sections` (headings and sentences) ->
`question` -> `stages` (stage inference) -> `detect` (concept mentions, kinds in `detectors/`) -> `substance`
(what a sentence is worth, gaming guards, concept credit) -> `coverage` (key points) -> `mistakes` -> `timing`
-> `scoring`. `grade` composes them: start reading there."""
