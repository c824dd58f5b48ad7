import pytest

from timeline.quotes import Match, Miss, SourceText, fragments, normalize

SOURCE = SourceText(
    "Japan\u2019s Prime Minister said:  \u201cWe will\n  not  change course.\u201d\n"
    "Later, officials were \u2018in a state of shock\u2019. It is a big pain in the back.\n"
    "Oil imports rose almost 45 percent in 2013."
)


@pytest.mark.parametrize(
    "quote",
    [
        "Japan's Prime Minister said",  # straight apostrophe for a curly one
        '"We will not change course."',  # straight double quotes, collapsed whitespace
        "\u201cWe will not change course.\u201d",  # the source's own curly quotes
        "We   will\tnot change",  # any whitespace matches any whitespace
        "'in a state of shock'",
        "Prime Minister said … not change course",  # elision with an ellipsis character
        "Prime Minister said ... a big pain",  # elision with three dots
        "  Oil imports rose almost 45 percent in 2013.  ",
    ],
)
def test_quotes_match_despite_whitespace_and_quote_style(quote):
    assert isinstance(SOURCE.find(quote), Match)


@pytest.mark.parametrize(
    "quote",
    [
        "japan's prime minister said",  # case is not ignored
        "Oil imports rose almost 45 per cent in 2013",  # nor spelling
        "Oil imports rose almost 45 percent in 2013!",  # nor punctuation
        "Japans Prime Minister",  # nor a missing apostrophe
    ],
)
def test_quotes_differing_in_anything_else_do_not_match(quote):
    assert isinstance(SOURCE.find(quote), Miss)


def test_a_match_points_at_the_original_text():
    result = SOURCE.find("We will not change course. … a big pain")
    assert isinstance(result, Match)
    assert [SOURCE.original[a:b] for a, b in result.spans] == [
        "We will\n  not  change course.",
        "a big pain",
    ]


def test_elided_parts_must_come_in_order():
    result = SOURCE.find("a big pain … not change course")
    assert isinstance(result, Miss)
    assert "part 2 comes before the part it follows" in result.message


def test_a_missing_part_of_an_elided_quote_is_named():
    result = SOURCE.find("Prime Minister said … a small pain", name="source 'x'")
    assert isinstance(result, Miss)
    assert result.message == "part 2 of this elided quote not found in source 'x'"


@pytest.mark.parametrize("quote", ["", "   ", "…", " ... "])
def test_empty_quotes_are_refused(quote):
    result = SOURCE.find(quote)
    assert isinstance(result, Miss)
    assert result.message == "quote is empty"


def test_closest_passage_shows_what_the_source_really_says():
    result = SOURCE.find("Oil imports rose by almost 45 percent in 2013.")
    assert isinstance(result, Miss)
    assert result.closest is not None
    assert "Oil imports rose almost 45 percent in 2013." in result.closest


def test_closest_passage_is_none_when_nothing_is_alike():
    assert SOURCE.closest("xyzzy plugh") is None


def test_closest_passage_in_a_long_source_finds_the_right_place():
    filler = " ".join(f"word{i}" for i in range(20000))
    text = SourceText(f"{filler} the minister said there was no change at all {filler}")
    closest = text.closest("the minister said there was no change in the direction")
    assert closest is not None
    assert "the minister said there was no change at all" in closest


def test_fragments_and_normalize():
    assert fragments("a  b … c\nd ... e") == ["a b", "c d", "e"]
    assert normalize("\u201cx\u201d \u2018y\u2019\n") == "\"x\" 'y'"
