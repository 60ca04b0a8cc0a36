"""Word expansion matches Docker's shell lexer: quotes, escapes, $VAR and every ${VAR...} modifier."""

from __future__ import annotations

import pytest

from hydock.dockerfile import expand, expand_words
from hydock.dockerfile.problem import Problem
from hydock.dockerfile.shell_words import Lexer

ENV = {"HOME": "/home/me", "SHELL": "bash", "EMPTY": "", "FILE": "app-1.2.3.tar.gz", "KOREAN": "한국어"}


@pytest.mark.parametrize(
    "word, expected",
    [
        ("plain", "plain"),
        ("$HOME", "/home/me"),
        ("${HOME}", "/home/me"),
        ("x${HOME}y", "x/home/mey"),
        ("$HOME.x", "/home/me.x"),
        ("$UNSET", ""),
        ("a$UNSET-b", "a-b"),
        ("$", "$"),
        ("$.", "$."),
        ("a$", "a$"),
        ("$1x", "x"),
        ("$999aaa", "aaa"),
        ("$@@", "@"),
        ("${#}x", "x"),
        ("$KOREAN!", "한국어!"),
        ("안녕$KOREAN", "안녕한국어"),
        # Escapes: the escape character makes the next one literal and is dropped; at the end it vanishes.
        (r"\$HOME", "$HOME"),
        (r"\\$HOME", "\\/home/me"),
        (r"a\ b", "a b"),
        (r"abc\tdef", "abctdef"),
        ("hello\\", "hello"),
        (r"\${}", "${}"),
        # Single quotes: everything literal, no escapes.
        ("'$HOME'", "$HOME"),
        (r"'\$HOME'", r"\$HOME"),
        (r"'hello\'", "hello\\"),
        ("'\"x\"'", '"x"'),
        ("he'll'o", "hello"),
        # Double quotes: $ expands, only \" \$ \\ are escapes.
        ('"$HOME"', "/home/me"),
        ('"a\\"b"', 'a"b'),
        (r'"\$HOME"', "$HOME"),
        (r'"abc\tdef"', r"abc\tdef"),
        (r'"abc\\tdef"', r"abc\tdef"),
        ("\"he'$HOME'\"", "he'/home/me'"),
        ("\"''\"", "''"),
        # Defaults and alternatives, with and without the colon (which makes empty count as unset).
        ("${UNSET:-def}", "def"),
        ("${EMPTY:-def}", "def"),
        ("${HOME:-def}", "/home/me"),
        ("${UNSET-def}", "def"),
        ("${EMPTY-def}", ""),
        ("${UNSET:+alt}", ""),
        ("${EMPTY:+alt}", ""),
        ("${HOME:+alt}", "alt"),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${HOME?}", "/home/me"),
        ("${EMPTY?}", ""),
        ("${HOME:?}", "/home/me"),
        ("${UNSET:-${HOME:-x}}", "/home/me"),
        ("${UNSET:-${ALSO:-deep}}", "deep"),
        ("${UNSET:-$HOME}", "/home/me"),
        ("${HOME:+${HOME}:}x", "/home/me:x"),
        (r"${UNSET:-\$HOME:}x", "$HOME:x"),
        (r"${UNSET:-\${HOME}z}x", "${HOMEz}x"),
        ("${UNSET:-a b {c}", "a b {c"),
        ("${aaa}}", "}"),
        ("${1:-first}", "first"),
        ("${@:-at}", "at"),
        # Pattern removal: # shortest prefix, ## longest, % shortest suffix, %% longest.
        ("${FILE%.tar.gz}", "app-1.2.3"),
        ("${FILE%.*}", "app-1.2.3.tar"),
        ("${FILE%%.*}", "app-1"),
        ("${FILE#*.}", "2.3.tar.gz"),
        ("${FILE##*.}", "gz"),
        ("${FILE#}", "app-1.2.3.tar.gz"),
        ("${FILE#nomatch}", "app-1.2.3.tar.gz"),
        ("${FILE#?pp}", "-1.2.3.tar.gz"),
        (r"${STAR%%\**}", ""),
        # Replacement: first match, or all with //; * and ? are wildcards.
        ("${FILE/-/_}", "app_1.2.3.tar.gz"),
        ("${FILE//./_}", "app-1_2_3_tar_gz"),
        ("${FILE/1*3/X}", "app-X.tar.gz"),
        ("${FILE//nothing/X}", "app-1.2.3.tar.gz"),
        ("${HOME//\\//\\/}", "\\/home\\/me"),
        ("${UNSET/a/b}", ""),
    ],
)
def test_expand(word: str, expected: str) -> None:
    assert expand(word, {**ENV, "STAR": "**"}) == expected


@pytest.mark.parametrize(
    "word, message",
    [
        ("he'llo", "unexpected end of statement while looking for matching single-quote"),
        ('"hello', "unexpected end of statement while looking for matching double-quote"),
        ('"hello\\"', "unexpected end of statement while looking for matching double-quote"),
        (r"he\\'llo", "unexpected end of statement while looking for matching single-quote"),
        ("${}", "syntax error: bad substitution"),
        ("${:-x}", "syntax error: bad substitution"),
        ("${{a}", "syntax error: bad substitution"),
        ("${HOME", "syntax error: missing '}'"),
        ("${", "syntax error: missing '}'"),
        ("${UNSET:-a ${b}", "syntax error: missing '}'"),
        ("${.}", "unsupported modifier (.) in substitution"),
        ("${HOME:=x}", "unsupported modifier (:=) in substitution"),
        ("${HOME:YYY}", "unsupported modifier (:Y) in substitution"),
        ("${HOME:#x}", "unsupported modifier (:#) in substitution"),
        ("${HOME:%x}", "unsupported modifier (:%) in substitution"),
        ("${UNSET?}", "UNSET: is not allowed to be unset"),
        ("${EMPTY:?}", "EMPTY: is not allowed to be empty"),
        ("${UNSET:?must be set to $SHELL}", "UNSET: must be set to bash"),
        ("${HOME//x}", "syntax error: missing '/' in ${}"),
        (r"${HOME#\x}", "invalid pattern (\\x) in substitution: invalid escape '\\x'"),
    ],
)
def test_expansion_errors(word: str, message: str) -> None:
    with pytest.raises(Problem) as caught:
        expand(word, ENV)
    assert caught.value.message.endswith(message)
    assert caught.value.message.startswith("failed to process ")


@pytest.mark.parametrize(
    "word, words",
    [
        ("hello there", ["hello", "there"]),
        ("a${SPACED}b", ["aabc", "defb"]),
        ('a"${SPACED}"b', ["aabc  defb"]),
        ("${LEADING}x", ["ab", "cx"]),
        ('"${LEADING}" x', ["  ab c", "x"]),
        ("x${TRAILING}y", ["xab", "c", "y"]),
        (r"hello\ there", ["hello there"]),
        (r"hello\" there", ['hello"', "there"]),
        ("'$x y'", ["$x y"]),
        ("8000 ${PORTS}", ["8000", "80", "443"]),
    ],
)
def test_words_split_on_unquoted_spaces(word: str, words: list[str]) -> None:
    env = {"SPACED": "abc  def", "LEADING": "  ab c", "TRAILING": "ab c   ", "PORTS": "80 443"}
    assert expand_words(word, env) == words


def test_matched_and_unmatched_variables_are_reported() -> None:
    result = Lexer().expand("${FOO-a} ${BAR:-b} ${BAZ:+c} $HOME", {"FOO": "x", "HOME": "/"})
    assert result.result == "x b  /"
    assert result.matched == {"FOO", "HOME"}
    assert result.unmatched == {"BAR", "BAZ"}


def test_backtick_is_the_escape_when_the_file_says_so() -> None:
    assert expand("C:\\Windows `$HOME", ENV, escape="`") == "C:\\Windows $HOME"
    assert expand('"a`"b"', ENV, escape="`") == 'a"b'


def test_raw_modes_keep_quotes_and_unset_variables() -> None:
    lexer = Lexer(raw_quotes=True, skip_unset=True)
    assert lexer.expand("'a'\"$HOME\"$NOPE${NOPE2}${NOPE3:-x}", ENV).result == "'a'\"/home/me\"$NOPE${NOPE2}${NOPE3:-x}"


def test_quotes_are_plain_characters_when_skipped() -> None:
    # How COPY here-document bodies are expanded: escapes work, quotes stay.
    lexer = Lexer(skip_quotes=True)
    assert lexer.expand("echo '$HOME' \"\\$HOME\"", ENV).result == "echo '/home/me' \"$HOME\""


def test_replace_all_does_not_repeat_on_an_empty_match_after_a_match() -> None:
    # Go's ReplaceAll: `*` matches all of "abc" once; the empty string after it is not replaced again
    # (Python's re.sub would give "--").
    assert expand("${V//*/-}", {"V": "abc"}) == "-"
    assert expand("${V//x*/-}", {"V": "abxd"}) == "ab-"
