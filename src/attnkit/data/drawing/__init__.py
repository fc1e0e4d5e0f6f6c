"""Molecule drawings in many styles (RDKit with random options, Indigo, Open Babel, CDK),
degraded like scanned documents and cropped to their ink: what teaches a molecule reader the
drawings other tools and documents make."""
