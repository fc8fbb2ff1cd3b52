"""credo.services: what combines the layers below. A data directory and the node on it
(`node`); people's data through the vault (`people`, which reaches one module per job:
`records`, `reads`, `consents`, `rights`, their views typed once in `views`; a signed-in
person's own data in `person`); the credit programme (`programme`), scores and their
explanations (`scores`), rescoring and witnessing after each commit (`rescorer`,
`witnessing`), the policy new entries are judged by (`policy`), people's portal sign-in
(`accounts`) and the public consortium page (`consortium`). The demo is not here: it is
`credo.demo`, which only the CLI imports."""
