from timeline.changes import summary

BEFORE = """events:
  - id: kept
    title: Kept
    date: 2014
  - id: edited
    title: Old title
    date: 2014-03
  - id: dropped
    title: Dropped
    date: 2015
"""
AFTER = """events:
  - id: kept
    title: Kept
    date: 2014
  - id: edited
    title: New | title
    date: 2014-03-04
  - id: new-one
    title: New one
    date: 2016
"""


def test_summary_lists_added_changed_and_removed_events():
    assert summary(BEFORE, AFTER).splitlines() == [
        "## Events in this change",
        "",
        "| | id | date | title |",
        "| --- | --- | --- | --- |",
        "| added | `new-one` | 2016 | New one |",
        "| changed (date, title) | `edited` | 2014-03-04 | New \\| title |",
        "| removed | `dropped` | 2015 | Dropped |",
        "",
        "1 added, 1 changed, 1 removed.",
    ]


def test_summary_of_no_change_says_so():
    assert "No event is added, changed or removed." in summary(BEFORE, BEFORE)


def test_a_new_file_counts_every_event_as_added():
    assert "3 added, 0 changed, 0 removed." in summary("", AFTER)
