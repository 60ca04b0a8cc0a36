"""Docker's --format templates: Go's text/template semantics and messages, Docker's functions, table output.

Expected outputs are what Go's text/template with docker/cli's functions prints for the same data
(several cases are taken from Go's own exec and parse tests).
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from hydock.cli.gotemplate import TemplateError, format_objects, parse
from hydock.errors import InvalidArgument
from hydock.wire import docker_name

INSPECT: dict[str, Any] = {
    "Id": "4c0f5e1d2a3b",
    "Name": "/web",
    "State": {"Status": "running", "Running": True, "Pid": 4242, "ExitCode": 0, "Health": None},
    "Config": {
        "Env": ["PATH=/usr/bin", "LANG=C"],
        "Labels": {"com.example.tier": "front", "app": "web"},
        "Cmd": ["nginx", "-g", "daemon off;"],
        "Entrypoint": None,
    },
    "NetworkSettings": {
        "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": None},
        "Networks": {"bridge": {"IPAddress": "172.17.0.2"}},
    },
    "Mounts": [],
    "HostConfig": {"NanoCpus": 1500000000},
    "Ratio": 0.25,
}


class Row:
    """A `docker ps` row: fields are attributes, and Label is a method taking an argument."""

    def __init__(self, id: str, image: str, names: str, labels: dict[str, str] | None = None) -> None:
        self.ID = id
        self.Image = image
        self.Names = names
        self._labels = labels or {}

    def Label(self, name: str) -> str:  # noqa: N802 - the template field is named as Docker names it
        return self._labels.get(name, "")


class Port(msgspec.Struct, rename=docker_name):
    private_port: int
    type: str


def render(template: str, data: Any = INSPECT) -> str:
    return parse(template).render(data)


def execution_error(template: str, data: Any = INSPECT) -> str:
    with pytest.raises(TemplateError) as caught:
        render(template, data)
    return str(caught.value)


def parse_error(template: str) -> str:
    with pytest.raises(TemplateError) as caught:
        parse(template)
    return str(caught.value)


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{.Name}}", "/web"),
        ("{{.State.Running}} {{.State.Pid}}", "true 4242"),
        ("{{.NetworkSettings.Networks.bridge.IPAddress}}", "172.17.0.2"),
        ("{{.Config.Env}}", "[PATH=/usr/bin LANG=C]"),
        ("{{.Config.Labels}}", "map[app:web com.example.tier:front]"),
        ("{{.Mounts}}", "[]"),
        ("{{.Ratio}} {{.HostConfig.NanoCpus}}", "0.25 1500000000"),
        ("{{.Missing}}", "<no value>"),
        ("{{.Missing.Deeper.Still}}", "<no value>"),
        ("{{.State.Missing}}", "<no value>"),
        ("{{.State.Health}}", "<nil>"),
        ("{{$.Name}}", "/web"),
        ("{{(.State).Status}}", "running"),
        ('{{"x"}} {{`raw\\n`}} {{"tab\\tquote\\"\\u00e9"}}', 'x raw\\n tab\tquote"é'),
        (
            "{{1}} {{-2}} {{0x1F}} {{0o17}} {{017}} {{1_000}} {{'a'}} {{1.0}} {{1e3}} {{2.5e-3}}",
            "1 -2 31 15 15 1000 97 1 1000 0.0025",
        ),
        ("{{true}} {{false}} {{1.5i}}", "true false (0+1.5i)"),
        ("{{/* a comment */}}kept", "kept"),
    ],
)
def test_fields_and_literals(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "data, expected",
    [
        (13, "<13>"),
        (15.1, "<15.1>"),
        (True, "<true>"),
        ("hello", "<hello>"),
        ([-1, -2, -3], "<[-1 -2 -3]>"),
        ({"two": 22, "one": [1, None]}, "<map[one:[1 <nil>] two:22]>"),
        (None, "<<no value>>"),
        (1e6, "<1e+06>"),
        (123456.0, "<123456>"),
        (1234567.0, "<1.234567e+06>"),
        (0.0001, "<0.0001>"),
        (0.00001, "<1e-05>"),
    ],
)
def test_dot_prints_like_go(data: Any, expected: str) -> None:
    assert render("<{{.}}>", data) == expected


def test_objects_answer_fields_attributes_and_methods() -> None:
    row = Row("abc", "alpine", "web", {"tier": "db"})
    assert render('{{.ID}} {{.Image}} {{.Label "tier"}} {{.Label "none"}}|', row) == "abc alpine db |"
    assert render("{{.PrivatePort}}/{{.Type}} {{json .}}", Port(80, "tcp")) == '80/tcp {"PrivatePort":80,"Type":"tcp"}'
    assert render("{{.}}", Port(80, "tcp")) == "{80 tcp}"


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{json .State}}", '{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"Health":null}'),
        ("{{json .Config.Env}}", '["PATH=/usr/bin","LANG=C"]'),
        ("{{json .Missing}}", "null"),
        ('{{json "<a href=\\"x\\">&</a>"}}', '"<a href=\\"x\\">&</a>"'),
        ('{{json "line\\nbreak\\ttab\\u0001\\u2028\\\\"}}', '"line\\nbreak\\ttab\\u0001\\u2028\\\\"'),
        (
            "{{json 1e21}} {{json 1e20}} {{json 0.0000001}} {{json 0.000001}} {{json 100.0}}",
            "1e+21 100000000000000000000 1e-7 0.000001 100",
        ),
        ("{{json .Ratio}} {{json 3}} {{json true}} {{json nil}}", "0.25 3 true null"),
    ],
)
def test_json_encodes_like_docker(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{range .Config.Cmd}}[{{.}}]{{end}}", "[nginx][-g][daemon off;]"),
        ("{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}", "0=PATH=/usr/bin;1=LANG=C;"),
        ("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "app=web;com.example.tier=front;"),
        ("{{range .Config.Labels}}{{.}};{{end}}", "web;front;"),
        (
            "{{range $p, $b := .NetworkSettings.Ports}}{{$p}}->{{range $b}}{{.HostPort}}{{else}}none{{end}} {{end}}",
            "443/tcp->none 80/tcp->8080 ",
        ),
        ("{{range .Mounts}}m{{else}}no mounts{{end}}", "no mounts"),
        ("{{range .Missing}}x{{else}}missing{{end}}", "missing"),
        ("{{range .Config.Entrypoint}}x{{else}}null{{end}}", "null"),
        ('{{range .Config.Cmd}}{{if eq . "-g"}}{{continue}}{{end}}{{.}} {{end}}', "nginx daemon off; "),
        ('{{range .Config.Cmd}}{{if eq . "-g"}}{{break}}{{end}}{{.}}{{end}}', "nginx"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        ("{{range .Config.Cmd}}{{$.Name}}{{end}}", "/web/web/web"),
    ],
)
def test_range(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
        ("{{if .Mounts}}m{{else}}none{{end}}", "none"),
        ("{{if .Missing}}x{{else}}no{{end}}", "no"),
        ('{{if eq .State.Status "exited"}}E{{else if eq .State.Status "running"}}R{{else}}?{{end}}', "R"),
        ("{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}", "3"),
        ("{{if and .State.Running (gt .State.Pid 0)}}ok{{end}}", "ok"),
        ("{{if or .Missing .Mounts}}x{{else}}neither{{end}}", "neither"),
        ("{{if not .State.ExitCode}}zero{{end}}", "zero"),
        ("{{with .State}}{{.Status}} as {{$.Name}}{{end}}", "running as /web"),
        ("{{with .Missing}}x{{else}}fallback{{end}}", "fallback"),
        ("{{with .Missing}}x{{else with .State.Pid}}pid {{.}}{{end}}", "pid 4242"),
        ('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "z"}} {{or 0 false}}', "0 2 z false"),
    ],
)
def test_conditionals(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ('{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}', "b"),
        ('{{$x := "a"}}{{if true}}{{$x := "b"}}{{$x}}{{end}}{{$x}}', "ba"),
        ("{{if $x := true}}{{with $x := .State.Pid}}{{$x}},{{end}}{{$x}}{{end}}", "4242,true"),
        ("{{$n := len .Config.Env}}{{$n}} vars", "2 vars"),
        ("{{$v := .State}}{{$v.Status}}", "running"),
    ],
)
def test_variables_and_scoping(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ("a  {{- .Name -}}  b", "a/webb"),
        ("x \r\n\t{{- 3 -}}\n\n\ty", "x3y"),
        ("{{range .Config.Cmd -}}\n  {{.}}\n{{- end}}", "nginx-gdaemon off;"),
        ("a {{- /* gone */ -}} b", "ab"),
        ("{{-3}}", "-3"),
        ("{{ .Name }}", "/web"),
    ],
)
def test_trim_markers(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ('{{printf "%s|%d|%v|%q|%t" "s" 42 .Config.Env "q" true}}', 's|42|[PATH=/usr/bin LANG=C]|"q"|true'),
        (
            '{{printf "%x|%X|%#x|%o|%#o|%O|%b|%c|%U" 255 255 255 8 8 8 5 65 128512}}',
            "ff|FF|0xff|10|010|0o10|101|A|U+1F600",
        ),
        ('{{printf "%5d|%-5d|%05d|%+d|%x" 42 42 -42 5 -255}}', "   42|42   |-0042|+5|-ff"),
        (
            '{{printf "%f|%.2f|%8.3f|%08.3f|%e|%.2E|%g|%v" 1.5 3.14159 3.14159 -3.14159 1234.5678 1234.5 1.2e-5 1e20}}',
            "1.500000|3.14|   3.142|-003.142|1.234568e+03|1.23E+03|1.2e-05|1e+20",
        ),
        (
            '{{printf "%5s|%-5s|%.2s|%q|%+q|%x|% x|%5t" "ab" "ab" "abc" "é\\x01" "é" "hi" "hi" true}}',
            '   ab|ab   |ab|"é\\x01"|"\\u00e9"|6869|68 69| true',
        ),
        ('{{printf "%*d|%.*f|%%" 5 42 2 3.14159}}', "   42|3.14|%"),
        ('{{printf "%d %s" "x"}}', "%!d(string=x) %!s(MISSING)"),
        ('{{printf "%d" 1 "extra" nil}}', "1%!(EXTRA string=extra, <nil>)"),
        (
            '{{printf "%s %v %d" nil .Missing .Config.Cmd}}',
            "%!s(<nil>) <nil> [%!d(string=nginx) %!d(string=-g) %!d(string=daemon off;)]",
        ),
        ('{{printf "%T %T %T %T" 1 1.0 "s" .Config.Labels}}', "int float64 string map[string]string"),
        ('{{printf "trailing %"}}', "trailing %!(NOVERB)"),
        ('{{.Name | printf "%s-%s" "x"}}', "x-/web"),
        ('{{print 1 2 "a" 3 "b" "c" 4.0}} {{println 1 "a"}}', "1 2a3bc4 1 a\n"),
    ],
)
def test_printf_and_print(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ('{{eq .State.Status "exited" "paused" "running"}}', "true"),
        ("{{eq .State.Pid 1 2 3}}", "false"),
        ('{{eq .Missing "x"}} {{eq .Missing nil}} {{eq .State.Health nil}}', "false true true"),
        ('{{ne .Name "/db"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 2.5}}', "true true true true false"),
    ],
)
def test_comparisons(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ('{{index .Config.Labels "app"}}', "web"),
        ('{{index .Config.Labels "missing"}}|', "|"),
        ('{{index .NetworkSettings.Ports "80/tcp" 0 "HostPort"}}', "8080"),
        ('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostIp}}', "0.0.0.0"),
        ('{{index .Config.Cmd 2}} {{index "abc" 1}}', "daemon off; 98"),
        ('{{slice "hello" 1 3}} {{slice .Config.Cmd 1}} {{slice .Config.Cmd 1 2}}', "el [-g daemon off;] [-g]"),
        ('{{len .Config.Env}} {{len .Config.Labels}} {{len "héllo"}} {{len .Config.Entrypoint}}', "2 2 6 0"),
    ],
)
def test_index_slice_len(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        ('{{join .Config.Cmd " "}}', "nginx -g daemon off;"),
        ('{{join .Config.Entrypoint ","}}|', "|"),
        ('{{split "a:b:c" ":"}} {{index (split .Name "w") 1}} {{split "ab" ""}}', "[a b c] eb [a b]"),
        ('{{lower "ÀBC"}} {{upper "straße"}} {{title "hello wide-world_x"}}', "àbc STRAßE Hello Wide-World_x"),
        ('{{pad .State.Status 2 3}}|{{pad "" 2 3}}|', "  running   ||"),
        ('{{truncate .Id 4}} {{truncate "ab" 4}} {{truncate "abcd" 4}}', "4c0f ab abcd"),
        ('{{.Name | upper | printf "%q"}}', '"/WEB"'),
        (
            '{{html "<a href=\'x\'>&"}} {{js "it\'s <b>"}} {{urlquery "a b&c/d"}}',
            "&lt;a href=&#39;x&#39;&gt;&amp; it\\'s \\u003Cb\\u003E a+b%26c%2Fd",
        ),
    ],
)
def test_docker_functions(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{.Name", "template: :1: unclosed action"),
        ("line1\nline2\n{{.Name", "template: :3: unclosed action"),
        ("{{.Name\n\n", "template: :3: unclosed action started at :1"),
        ("{{if .Name}}a", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{foo .Name}}", 'template: :1: function "foo" not defined'),
        ("{{$x}}", 'template: :1: undefined variable "$x"'),
        ("{{if true}}{{$y := 1}}{{end}}{{$y}}", 'template: :1: undefined variable "$y"'),
        ("{{.Name}", "template: :1: bad character U+007D '}'"),
        ("{{printf `x` 3`y`}}", 'template: :1: unexpected "`y`" in operand'),
        ("{{.Name | 3}}", "template: :1: non executable command in pipeline stage 2"),
        ("{{if}}{{end}}", "template: :1: missing value for if"),
        ("{{(.Name}}", "template: :1: unclosed left paren"),
        ("{{.Name)}}", "template: :1: unexpected right paren"),
        ("{{/* open }}", "template: :1: unclosed comment"),
        ('{{"open}}', "template: :1: unterminated quoted string"),
        ("{{1x}}", 'template: :1: bad number syntax: "1x"'),
        ("{{a#}}", "template: :1: bad character U+0023 '#'"),
        ("{{break}}", "template: :1: {{break}} outside {{range}}"),
        ("{{range .L}}{{else if .X}}{{end}}", "template: :1: unexpected <if> in input"),
        ("{{range $a, $b, $c := .L}}{{end}}", "template: :1: too many declarations in range"),
        ("{{true.X}}", 'template: :1: unexpected . after term "true"'),
        ('{{"\\q"}}', "template: :1: invalid syntax"),
        ("{{99999999999999999999}}", 'template: :1: integer overflow: "99999999999999999999"'),
    ],
)
def test_syntax_errors(template: str, message: str) -> None:
    assert parse_error(template) == message


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{.Name.Foo}}", 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string'),
        (
            "{{.State.Health.Status}}",
            'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status',
        ),
        ("{{.Name 1}}", 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments'),
        (
            "{{index .Config.Cmd 5}}",
            'template: :1:2: executing "" at <index .Config.Cmd 5>: error calling index: index out of range: 5',
        ),
        (
            '{{index .Name "x"}}',
            'template: :1:2: executing "" at <index .Name "x">: '
            "error calling index: cannot index slice/array with type string",
        ),
        (
            "{{eq .Name 1}}",
            'template: :1:2: executing "" at <eq .Name 1>: '
            "error calling eq: incompatible types for comparison: string and int",
        ),
        (
            "{{lt .Config.Env 1}}",
            'template: :1:2: executing "" at <lt .Config.Env 1>: error calling lt: invalid type for comparison',
        ),
        ("{{len .State.Pid}}", 'template: :1:2: executing "" at <len .State.Pid>: error calling len: len of type int'),
        (
            "{{upper .State.Pid}}",
            'template: :1:14: executing "" at <.State.Pid>: wrong type for value; expected string; got int',
        ),
        ("{{upper 3}}", 'template: :1:8: executing "" at <3>: expected string; found 3'),
        ('{{pad .Name "1" 2}}', 'template: :1:12: executing "" at <"1">: expected integer; found "1"'),
        ("{{upper .Missing}}", 'template: :1:8: executing "" at <.Missing>: invalid value; expected string'),
        ('{{upper "a" "b"}}', 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2'),
        ("{{range .Name}}{{end}}", 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /web'),
        ("{{nil}}", 'template: :1:2: executing "" at <nil>: nil is not a command'),
        ("{{3 2}}", 'template: :1:2: executing "" at <3>: can\'t give argument to non-function 3'),
        (
            "{{true | printf}}",
            'template: :1:9: executing "" at <printf>: wrong type for value; expected string; got bool',
        ),
        ('{{template "nope"}}', 'template: :1:11: executing "" at <{{template "nope"}}>: template "nope" not defined'),
    ],
)
def test_execution_errors(template: str, message: str) -> None:
    assert execution_error(template) == message


def test_missing_attribute_is_an_error_located_by_line_and_byte() -> None:
    message = execution_error("\n é {{.Nope.X}}", Row("abc", "alpine", "web"))
    assert message == 'template: :2:11: executing "" at <.Nope.X>: can\'t evaluate field Nope in type Row'


def test_errors_are_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument):
        parse("{{")
    assert TemplateError("x").exit_code == InvalidArgument.exit_code


def test_defined_templates() -> None:
    ports = '{{range index .NetworkSettings.Ports "80/tcp"}}{{template "port" .}}{{end}}'
    assert render('{{define "port"}}{{.HostIp}}:{{.HostPort}}{{end}}' + ports) == "0.0.0.0:8080"
    assert render('a{{block "inner" .Name}}<{{.}}>{{end}}b') == "a</web>b"


ROWS = [Row("4c0f5e1d2a3b", "nginx:alpine", "web"), Row("9d8c", "redis", "cache-primary")]
HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Names": "NAMES"}


@pytest.mark.parametrize(
    "fmt, expected",
    [
        (
            "table {{.ID}}\t{{.Image}}\t{{.Names}}",
            "CONTAINER ID   IMAGE          NAMES\n"
            "4c0f5e1d2a3b   nginx:alpine   web\n"
            "9d8c           redis          cache-primary\n",
        ),
        (  # the literal two characters \t stand for a tab, as in a shell-quoted --format
            "table {{.Names}}\\t{{.ID}}",
            "NAMES           CONTAINER ID\nweb             4c0f5e1d2a3b\ncache-primary   9d8c\n",
        ),
        (  # columns are at least 10 wide; header functions leave titles alone, pad still pads
            "table {{lower .Image}}\t{{pad .ID 1 1}}\t{{truncate .Names 3}}",
            "IMAGE           CONTAINER ID    NAMES\n"
            "nginx:alpine    4c0f5e1d2a3b    web\n"
            "redis           9d8c            cac\n",
        ),
        ("{{.Names}}: {{.Image}}", "web: nginx:alpine\ncache-primary: redis\n"),
        ("  {{.ID}}\\t{{.Names}}  ", "4c0f5e1d2a3b\tweb\n9d8c\tcache-primary\n"),
    ],
)
def test_format_objects(fmt: str, expected: str) -> None:
    assert format_objects(fmt, ROWS, headers=HEADERS) == expected


def test_format_objects_json_and_empty_table() -> None:
    rows = [{"ID": "a", "Labels": "x=<1>"}, {"ID": "b", "Labels": ""}]
    assert format_objects("json", rows) == '{"ID":"a","Labels":"x=<1>"}\n{"ID":"b","Labels":""}\n'
    assert format_objects("table {{.ID}}\t{{.Image}}", [], headers=HEADERS) == "CONTAINER ID   IMAGE\n"
    assert format_objects("table {{.ID}}", ROWS) == "4c0f5e1d2a3b\n9d8c\n"


def test_table_alignment_counts_wide_characters_and_keeps_dockers_trailing_padding() -> None:
    rows = [{"A": "日本", "B": "x"}, {"A": "abcdefghijk", "B": "y"}]
    out = format_objects("table {{.A}}\t{{.B}}\t", rows, headers={"A": "A", "B": "B"})
    assert out.split("\n") == [
        "A" + " " * 13 + "B" + " " * 9,
        "日本" + " " * 10 + "x" + " " * 9,
        "abcdefghijk" + " " * 3 + "y" + " " * 9,
        "",
    ]


def test_format_objects_errors_carry_dockers_prefix() -> None:
    with pytest.raises(TemplateError, match=r'^template parsing error: template: :1: function "nope" not defined$'):
        format_objects("{{nope}}", ROWS)
    with pytest.raises(
        TemplateError, match=r"^template parsing error: template: :1:2: executing \"\" at <\.Missing>: "
    ):
        format_objects("{{.Missing}}", ROWS)
