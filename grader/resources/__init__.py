"""Data shipped in the package, read with `importlib.resources`: the default rubric and the short-answer template
(`rubrics/`), and the golden answers the default rubric names by paths relative to itself (`golden_answers/`)."""
