import pytest

from attnkit.data.seq_files import load_pairs
from attnkit.errors import AttnkitError


def test_fixed_width_date_txt(tmp_path):
    path = tmp_path / "date.txt"
    path.write_text("september 27, 1994           _1994-09-27\n"
                    "2/10/93                      _1993-02-10\n\n")
    assert load_pairs(path) == (["september 27, 1994", "2/10/93"], ["1994-09-27", "1993-02-10"])


def test_fixed_width_addition_txt_strips_target_padding(tmp_path):
    path = tmp_path / "addition.txt"
    path.write_text("16+75  _91  \n52+607 _659 \n")
    assert load_pairs(path, "fixed") == (["16+75", "52+607"], ["91", "659"])


def test_tsv(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Sept. 27th, 1994\t1994-09-27\nab\tba\n")
    assert load_pairs(path) == (["Sept. 27th, 1994", "ab"], ["1994-09-27", "ba"])


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("a\tb\nno tab here\n")
    with pytest.raises(AttnkitError, match=r"pairs.tsv, line 2: expected 'source<TAB>target'"):
        load_pairs(path)
    path.write_text("a\t\n")
    with pytest.raises(AttnkitError, match="line 1: empty target"):
        load_pairs(path)


def test_missing_and_unrecognised_files(tmp_path):
    with pytest.raises(AttnkitError, match="no such file"):
        load_pairs(tmp_path / "nope.tsv")
    path = tmp_path / "x.txt"
    path.write_text("plain words\n")
    with pytest.raises(AttnkitError, match="cannot tell the format"):
        load_pairs(path)
    path.write_text("\n")
    with pytest.raises(AttnkitError, match=r"data file .*x\.txt has no pairs"):
        load_pairs(path, "tsv")


def test_a_byte_order_mark_stays_out_of_the_pairs(tmp_path):
    """Editors on Windows start UTF-8 files with one; it must not reach the vocabulary."""
    path = tmp_path / "pairs.tsv"
    path.write_bytes("\ufeff1+1\t2\n2+2\t4\n".encode())
    sources, targets = load_pairs(path)
    assert sources == ["1+1", "2+2"] and "\ufeff" not in "".join(sources + targets)
