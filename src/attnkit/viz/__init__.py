"""Pictures of what models attend to and how training went: one module per kind of picture
(`heatmap`, `highlight`, `attention_overlay`, `curves`, `comparison`, ...), imported by name."""
