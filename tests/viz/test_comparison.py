from attnkit.viz.comparison import plot_comparison


def test_comparison_plot_is_one_png(tmp_path):
    histories = {kind: [{"epoch": 1, "val_exact_match": 0.1 * rank},
                        {"epoch": 2, "val_exact_match": 0.3 * rank}]
                 for rank, kind in enumerate(("plain", "peeky", "attention"), start=1)}
    path = plot_comparison(histories, "val_exact_match", tmp_path / "comparison.png",
                           "held-out exact match")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["comparison.png"]
