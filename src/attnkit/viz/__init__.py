"""Pictures of what models attend to and how training went."""
