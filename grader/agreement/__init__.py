"""Agreement between raters (humans, this tool, LLM interviewers): the metrics (`metrics`), the gates of
`grader agree --fail-under` (`gates`), and the text and HTML renderings (`render`)."""
