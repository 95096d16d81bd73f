"""Reading what the grader is given: answers (`answers`: Markdown, text, and transcripts via `transcripts`),
rubrics (`rubric`), and human-graded datasets and ratings (`datasets`). Each bad file gets one clear error."""
