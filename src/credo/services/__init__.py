"""credo.services: what combines the layers below. A data directory and the node on it
(`node`), people's data through the vault (`people`), the credit programme (`programme`),
scores and their explanations (`scores`), rescoring after each commit (`rescorer`), and the
policy new entries are judged by (`policy`)."""
