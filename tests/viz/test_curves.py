from attnkit.viz.curves import curve_panels, curves_figure, plot_curves

MOLECULES = [
    {"epoch": 1, "train_loss": 1.2, "val_loss": 1.0, "val_exact_match": 0.01,
     "val_validity": 0.4, "val_levenshtein": 41.0, "train_seconds": 900.0},
    {"epoch": 2, "train_loss": 0.8, "val_loss": 0.7, "val_exact_match": 0.03,
     "val_validity": 0.8, "val_levenshtein": 37.5, "train_seconds": 910.0},
    {"epoch": 2.37, "train_loss": 0.7, "val_loss": 0.65, "val_exact_match": 0.04,
     "val_validity": 0.85, "val_levenshtein": 36.0, "train_seconds": 300.0},
]


def test_each_scale_gets_its_own_panel():
    """val_levenshtein (about 40) would flatten exact match and validity (0-1) to zero."""
    assert curve_panels(MOLECULES) == [
        ("loss", ["train_loss", "val_loss"]),
        ("held-out rates", ["val_exact_match", "val_validity"]),
        ("val_levenshtein", ["val_levenshtein"]),
    ]


def test_epochs_are_whole_numbers_on_the_x_axis(tmp_path):
    figure = curves_figure(MOLECULES)
    assert len(figure.axes) == 3
    for axis in figure.axes:
        figure.canvas.draw()
        ticks = [tick for tick in axis.get_xticks() if axis.get_xlim()[0] <= tick
                 <= axis.get_xlim()[1]]
        assert ticks and all(float(tick).is_integer() for tick in ticks)
    plot_curves(MOLECULES, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
