import io

from attnkit.progress import progress_bar


def test_bars_are_left_out_of_files_and_pipes(capsys):
    for _ in progress_bar(range(3), desc="working"):
        pass
    assert capsys.readouterr().err == ""


def test_bars_are_drawn_on_a_terminal_and_cleared():
    terminal = io.StringIO()
    terminal.isatty = lambda: True
    for _ in progress_bar(range(3), desc="working", file=terminal):
        pass
    assert "working" in terminal.getvalue() and "\r" in terminal.getvalue()
    hidden = io.StringIO()
    hidden.isatty = lambda: True
    for _ in progress_bar(range(3), shown=False, file=hidden):
        pass
    assert hidden.getvalue() == ""
