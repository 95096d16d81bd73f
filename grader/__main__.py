"""`python -m grader ...` is the `grader` command (useful to run a checkout without installing it)."""

from grader.cli import main

if __name__ == "__main__":
    main()
