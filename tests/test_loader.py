import pytest

from timeline.loader import MAX_BYTES, MAX_DEPTH, MAX_OPEN_BRACKETS, decode, load


def problems_of(text):
    _, problems = load(text)
    return [(p.line, p.column, p.message) for p in problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, 1, "file is empty; it needs site, topics, actors, eras, sources and events")]),
        (
            "   \n\n# only a comment\n",
            [(1, 1, "file is empty; it needs site, topics, actors, eras, sources and events")],
        ),
        ("~\n", [(1, 1, "file is empty; it needs site, topics, actors, eras, sources and events")]),
        (
            "- a\n- b\n",
            [(1, 1, "the top level must be a mapping of site, topics, actors, eras, sources and events")],
        ),
        (
            "just text\n",
            [(1, 1, "the top level must be a mapping of site, topics, actors, eras, sources and events")],
        ),
        (
            "site:\n  title: a\n  title: b\n",
            [
                (
                    3,
                    3,
                    "duplicate key 'title' (first at line 2); YAML would silently keep only the last one, so remove or rename one",
                )
            ],
        ),
        (
            "events:\n  - citations:\n      - quote: a\n        quote: b\n",
            [
                (
                    4,
                    9,
                    "duplicate key 'quote' (first at line 3); YAML would silently keep only the last one, so remove or rename one",
                )
            ],
        ),
        (
            "a: 1\na: 2\n",
            [
                (
                    2,
                    1,
                    "duplicate key 'a' (first at line 1); YAML would silently keep only the last one, so remove or rename one",
                )
            ],
        ),
        (
            "a: &x [1]\nb: *x\n",
            [
                (1, 4, "anchor '&x' is not allowed here; write each value out in full"),
                (2, 4, "alias '*x' is not allowed here; write the value out in full"),
            ],
        ),
        (
            "a: !!python/object:os.system x\n",
            [(1, 4, "YAML tag '!!python/object:os.system' is not allowed; remove it")],
        ),
        ("a: !custom x\n", [(1, 4, "YAML tag '!custom' is not allowed; remove it")]),
        ("? [a, b]\n: 1\n", [(1, 3, "a key must be plain text")]),
        (
            "a: 1\n---\nb: 2\n",
            [(2, 1, "a second YAML document starts here ('---'); events.yaml holds one document")],
        ),
        (
            "a: b: c\n",
            [
                (
                    1,
                    5,
                    "YAML syntax error: mapping values are not allowed in this context (a value containing ': ' must be put in quotes)",
                )
            ],
        ),
        (
            "a:\n\tb: 1\n",
            [
                (
                    2,
                    1,
                    "YAML syntax error: while scanning for the next token found character that cannot start any token (YAML indents with spaces, not tabs)",
                )
            ],
        ),
        (
            'a: "open\nb: 1\n',
            [
                (
                    3,
                    1,
                    "YAML syntax error: while scanning a quoted scalar found unexpected end of stream (a quote or bracket is not closed); it began at line 1",
                )
            ],
        ),
        # The parser stops after the quoted text; the hint says where the quote went wrong.
        (
            'a: "open\nb: 1\nc: "x"\n',
            [
                (
                    3,
                    5,
                    "YAML syntax error: while parsing a block mapping did not find expected key "
                    "(the quoted text before this began on line 1; is its closing quote missing?)",
                )
            ],
        ),
        (
            'a: "say "no" now"\n',
            [
                (
                    1,
                    10,
                    "YAML syntax error: while parsing a block mapping did not find expected key "
                    '(a " inside a text in double quotes ends it; write it as \\" or put the text in single quotes)',
                )
            ],
        ),
        (
            "a: 'it's'\n",
            [
                (
                    1,
                    8,
                    "YAML syntax error: while parsing a block mapping did not find expected key "
                    "(a ' inside a text in single quotes ends it; write it as '')",
                )
            ],
        ),
        # A key indented too far continues the value above; no ': ' needs quoting.
        (
            "a:\n  b: 1\n   c: 2\n",
            [
                (
                    3,
                    5,
                    "YAML syntax error: mapping values are not allowed in this context "
                    "(check the indentation of this line and the one before)",
                )
            ],
        ),
        (
            "a:\n  b: 1\n  -\n",
            [
                (
                    3,
                    3,
                    "YAML syntax error: while parsing a block mapping did not find expected key "
                    "(a '-' starts a list item, which cannot go here; check its indentation or remove it); "
                    "it began at line 2",
                )
            ],
        ),
        (
            "a: [1, 2\nb: 3\n",
            [
                (
                    2,
                    2,
                    "YAML syntax error: while parsing a flow sequence did not find expected ',' or ']' "
                    "(a '[' is not closed with ']', or a ',' is missing); it began at line 1",
                )
            ],
        ),
        # A quoted text that ended lines before is not what the parser stopped at.
        (
            'a: {b: "x"\n\nc: 1\n',
            [
                (
                    3,
                    1,
                    "YAML syntax error: while parsing a flow mapping did not find expected ',' or '}' "
                    "(a '{' is not closed with '}', or a ',' is missing); it began at line 1",
                )
            ],
        ),
        ("a: \x07\n", [(1, 4, "character U+0007 is not allowed in YAML; remove it")]),
        # libyaml counts that position in bytes; the editor's columns and lines count characters.
        ("a: 日本日本\x07\n", [(1, 8, "character U+0007 is not allowed in YAML; remove it")]),
        ("a: " + "日本" * 10 + "\nb: \x07\n", [(2, 4, "character U+0007 is not allowed in YAML; remove it")]),
        (
            "title: @mention\n",
            [
                (
                    1,
                    8,
                    "YAML syntax error: while scanning for the next token found character that cannot start any token (a value cannot start with '@' unless it is put in quotes)",
                )
            ],
        ),
    ],
)
def test_refusals_are_located(text, expected):
    assert problems_of(text) == expected


def test_a_second_document_stops_the_check_there():
    # Judged alone, the first document would lack the events written after the '---'.
    document, problems = load("site: {}\n---\nevents: []\n")
    assert document is None
    assert [p.message for p in problems] == [
        "a second YAML document starts here ('---'); events.yaml holds one document"
    ]


def test_billion_laughs_is_refused_without_expanding():
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    document, problems = load("\n".join(lines) + "\n")
    assert len(problems) == 10 + 9 * 9  # every anchor and every alias, each once
    assert document.data["a9"] == [None] * 9  # aliases are never followed


def test_refused_values_are_known_so_no_other_message_is_given_for_them():
    document, _ = load("a: &x [1]\nb: *x\nc: " + "[" * 40 + "]" * 40 + "\n")
    assert document.refused == {("b",), ("c", *[0] * (MAX_DEPTH - 1))}
    assert document.is_refused(("b", 0))
    assert not document.is_refused(("a",))


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 100 + "]" * 100 + "\n",
        "".join(f"{' ' * i}k{i}:\n" for i in range(1000)) + " " * 1000 + "end\n",
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused_not_recursed(text):
    _, problems = load(text)
    assert [p.message for p in problems] == [
        f"nesting deeper than {MAX_DEPTH} levels; events.yaml never needs this"
    ]


def test_thousands_of_open_brackets_are_refused_before_parsing():
    document, problems = load("a:\n  " + "[" * 100_000)
    assert document is None
    assert [(p.line, p.column, p.message) for p in problems] == [
        (
            2,
            3 + MAX_OPEN_BRACKETS,
            f"more than {MAX_OPEN_BRACKETS} brackets are open here; events.yaml never needs this",
        )
    ]


def test_every_value_and_key_knows_its_position():
    document, problems = load("site:\n  title: T\nevents:\n  - id: x\n    topics: [a, b]\n")
    assert problems == []
    assert document.where(("site", "title")) == (2, 10)
    assert document.where_key(("site", "title")) == (2, 3)
    assert document.where(("events", 0, "id")) == (4, 9)
    assert document.where(("events", 0, "topics", 1)) == (5, 17)
    # An absent value is placed at its nearest ancestor.
    assert document.where(("events", 0, "summary")) == (4, 5)


@pytest.mark.parametrize("text", ["0x7de", "03736", "2_014", "+2014", "33:34", "!!int 0x7de"])
def test_numbers_only_yaml_1_1_reads_as_2014_stay_text(text):
    document, problems = load(f"date: {text}\n")
    assert problems == []
    assert document.data == {"date": text.removeprefix("!!int ")}


def test_scalars_keep_yaml_types_but_dates_and_keys_stay_text():
    document, _ = load("date: 2014-03-04\nyear: 2014\nflag: yes\nempty:\nno: x\n'q': \"2014\"\n")
    assert document.data == {
        "date": "2014-03-04",
        "year": 2014,
        "flag": True,
        "empty": None,
        "no": "x",
        "q": "2014",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\nb: caf\xe9\n", (2, 7, "byte 0xe9 is not valid UTF-8; save the file as UTF-8")),
        (
            b"\xef\xbb\xbfa: 1\n",
            (1, 1, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"),
        ),
        (b"\xff\xfea\x00:\x00", (1, 1, "byte 0xff is not valid UTF-8; save the file as UTF-8")),
        (b"a: 1\nb: \x00\n", (2, 4, "file contains a NUL character; is it a text file?")),
        # Columns count characters, as the parser's do, and a lone CR ends a line, as it does for YAML.
        ("a: 日本 caf".encode() + b"\xe9\n", (1, 10, "byte 0xe9 is not valid UTF-8; save the file as UTF-8")),
        (b"a: 1\rb: \x00\n", (2, 4, "file contains a NUL character; is it a text file?")),
        (
            "a: x\u2028y\n".encode(),
            (
                1,
                5,
                "character U+2028 (LINE SEPARATOR) is a line break to YAML but not to most editors; "
                "replace it with a space or a new line",
            ),
        ),
        (
            "a: 1\nb: x\x85y\n".encode(),
            (
                2,
                5,
                "character U+0085 (NEXT LINE) is a line break to YAML but not to most editors; "
                "replace it with a space or a new line",
            ),
        ),
    ],
)
def test_bytes_that_are_not_utf8_text_are_refused(raw, expected):
    text, problems = decode(raw)
    assert text is None
    assert [(p.line, p.column, p.message) for p in problems] == [expected]


def test_oversized_files_are_refused_unread():
    text, problems = decode(b"#" * (MAX_BYTES + 1))
    assert text is None
    assert problems[0].message.startswith(f"file is {MAX_BYTES + 1:,} bytes, over the limit of {MAX_BYTES:,}")
