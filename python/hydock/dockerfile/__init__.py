"""Dockerfiles: `parse` (text to syntax tree), `evaluate` (build args applied, words expanded), `lint`.

Pure functions, no I/O: the builder and `hydock build --check` give them text and read their answers.
"""

from hydock.dockerfile.evaluate import EvaluatedStage, Evaluation, evaluate, platform_args
from hydock.dockerfile.lint import LintResult, lint
from hydock.dockerfile.parser import parse
from hydock.dockerfile.shell_words import expand, expand_words
from hydock.dockerfile.stage_walk import Step

__all__ = [
    "EvaluatedStage",
    "Evaluation",
    "LintResult",
    "Step",
    "evaluate",
    "expand",
    "expand_words",
    "lint",
    "parse",
    "platform_args",
]
